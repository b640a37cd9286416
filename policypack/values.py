"""Reading resource properties as the engine sends them: floats, read-only proxies, secrets, unknowns."""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

from pulumi_policy.deserialize import SPECIAL_SECRET_SIG as SECRET_SIG
from pulumi_policy.deserialize import SPECIAL_SIG_KEY as SIG_KEY
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)
from pulumi_policy.proxy import unknown_checking_proxy as _proxy
from pulumi_policy.secret import Secret

UNKNOWN_SENTINELS: Final = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)
MAX_DEPTH: Final = 100
# The engine's Structs may nest as deep as a Node.js, Go or YAML program likes; past this depth a value is read as
# unknown, and the policies name the property they cannot read (protobuf's MessageToDict recurses into a
# RecursionError at about 200 levels).
MAX_WIRE_DEPTH: Final = 64


class Unknown:
    """A value the engine cannot know during preview."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Final = Unknown()


class SecretText(str):
    """A string the program marked secret (`Output.secret`, a secret output, anything derived by the engine): it
    compares as the string it is, and `quote` never shows it."""

    __slots__ = ()

    def __str__(self) -> str:
        return self


def mark_secret(value: Any) -> Any:
    """`value` with every string in it, keys included, a SecretText."""
    if isinstance(value, str):
        return value if isinstance(value, SecretText) or value in UNKNOWN_SENTINELS else SecretText(value)
    if isinstance(value, dict):
        return {mark_secret(k): mark_secret(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mark_secret(v) for v in value]
    return value


def loads(text: str) -> Any:
    """`json.loads`, with what a secret string held still secret."""
    parsed = json.loads(text)
    return mark_secret(parsed) if isinstance(text, SecretText) else parsed


_DICT_PROXY: Final = type(_proxy({}))
_LIST_PROXY: Final = type(_proxy({"l": []})["__target"]["l"])
_SCALARS: Final = (float, bool, int, type(None))


def plain(value: Any, depth: int = 0) -> Any:
    """A copy made of dicts, lists and scalars, with UNKNOWN wherever the engine sent an unknown value.

    The SDK's unknown-checking proxies are read through their raw children (`proxy["__target"]`, as the SDK's
    own serializer does), where an unknown is still its sentinel string; anything else goes the guarded way.
    """
    kind = type(value)
    if kind is str:
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if kind in _SCALARS:
        return value
    if depth <= MAX_DEPTH and (kind is _DICT_PROXY or kind is _LIST_PROXY):
        target = value["__target"]
        if kind is _DICT_PROXY:
            return {str(k): plain(v, depth + 1) for k, v in target.items()}
        return [plain(v, depth + 1) for v in target]
    return _plain(value, depth)


def _plain(value: Any, depth: int = 0) -> Any:
    """The guarded way: only keys, len and item access, each item read under a catch of the unknown error."""
    if depth > MAX_DEPTH:
        return UNKNOWN
    if isinstance(value, Secret):
        return plain(value.value, depth + 1)
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key in list(value):
            result[str(key)] = _guarded(lambda k=key: value[k], depth)
        return result
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [_guarded(lambda i=index: value[i], depth) for index in range(len(value))]
    return value


def _guarded(read: Any, depth: int) -> Any:
    try:
        return plain(read(), depth + 1)
    except UnknownValueError:
        return UNKNOWN


def get(props: Any, path: str) -> Any:
    """`props["a"]["b"]` for the path "a.b" on plain data; None where a step is missing, UNKNOWN where unknown.

    A list of one object (how the engine sends a nested block) is stepped through.
    """
    current = props
    for step in path.split("."):
        if current is UNKNOWN:
            return UNKNOWN
        if isinstance(current, list) and len(current) == 1:
            current = current[0]
        if not isinstance(current, dict):
            return None
        current = current.get(step)
    return current


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def number(value: Any) -> float | None:
    """A finite number from a float, an int or a numeric string; None for anything else (booleans included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def integer(value: Any) -> int | None:
    """A whole number (100.0 counts), else None."""
    result = number(value)
    if result is None or not result.is_integer():
        return None
    return int(result)


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def string_map(value: Any) -> dict[str, Any] | Unknown | None:
    """A map of strings given as a dict or as a JSON object string (how provider config arrives)."""
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, str):
        try:
            value = loads(value)
        except (ValueError, RecursionError):
            return None
    if isinstance(value, dict):
        return value
    return None


def describe(value: Any, known: Collection[str] = ()) -> str:
    """A rendering safe for any value, secrets included: a string shows only its length, unless it is one of
    the `known` words the policy itself compares against."""
    if value is None:
        return "not set"
    if value is UNKNOWN:
        return "unknown at preview"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if value in known:
            return quote(value)
        return f"a {len(value)}-character string" if value else "an empty string"
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    return type(value).__name__


def quote(text: str) -> str:
    """A string the message may show: an IAM action or ARN, a variable's name; never a prop value that could hold
    a secret, and never a string the program marked secret."""
    if isinstance(text, SecretText):
        return "[secret]"
    shown = text if len(text) <= 80 else text[:77] + "..."
    return json.dumps(shown)


def struct_dict(struct: Any, cut: list[str] | None = None) -> dict[str, Any]:
    """A protobuf Struct as `json_format.MessageToDict` reads it, except that NaN and infinities stay the floats
    they are (MessageToDict raises on them) and a value nested deeper than MAX_WIRE_DEPTH becomes unknown; `cut`
    receives the top-level keys where that happened."""
    result: dict[str, Any] = {}
    for key, value in struct.fields.items():
        deep: list[bool] = []
        result[key] = _from_wire(value, 1, deep)
        if deep and cut is not None:
            cut.append(key)
    return result


def _from_wire(value: Any, depth: int, deep: list[bool]) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "struct_value" or kind == "list_value":
        if depth >= MAX_WIRE_DEPTH:
            deep.append(True)
            return UNKNOWN_OBJECT_VALUE
        if kind == "list_value":
            return [_from_wire(item, depth + 1, deep) for item in value.list_value.values]
        result = {key: _from_wire(item, depth + 1, deep) for key, item in value.struct_value.fields.items()}
        if result.get(SIG_KEY) == SECRET_SIG and "value" in result:
            # The SDK unwraps secrets (deserialize_properties without proxy_secrets); the strings stay marked.
            result["value"] = mark_secret(result["value"])
        return result
    if kind is None or kind == "null_value":
        return None
    return getattr(value, kind)


def quote_config(text: str, secret: bool) -> str:
    """A stack config value as a message may show it: never when it is secret, else whole and as written (the
    engine masks config secrets by exact match, so a cut or escaped form would slip past it), or only its length."""
    if secret or isinstance(text, SecretText):
        return f"(a secret config value, {len(text)} characters)"
    if text.isprintable() and len(text) <= 200:
        return f'"{text}"'
    return f"(a {len(text)}-character value)"


def quote_part(whole: str, part: str) -> str:
    """A part of a string (a service of an action), as plain as the whole: hidden when the whole is secret."""
    return quote(whole) if isinstance(whole, SecretText) else part
