"""Policy configuration, reconciled as the engine does: schema defaults, then the pack's initial config, then the
`--policy-pack-config` file; in each layer `all` first, then each policy's entry."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import jsonschema

from .errors import CheckError
from .project import read_text

LEVELS: Final = ("advisory", "mandatory", "remediate", "disabled")
ALL: Final = "all"
LEVEL_KEY: Final = "enforcementLevel"


@dataclass(frozen=True)
class Entry:
    """One layer's configuration of one policy (or of `all`)."""

    level: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicySchema:
    name: str
    level: str
    properties: Mapping[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicyConfig:
    level: str
    properties: dict[str, Any]


Layer = Mapping[str, Entry]


def load_file(path: Path) -> dict[str, Entry]:
    text = read_text(path, "policy pack config")
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CheckError(f"policy pack config {path}: invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise CheckError(f"policy pack config {path}: invalid JSON: nested too deeply") from exc
    return parse(data, f"policy pack config {path}")


def parse(data: Any, source: str) -> dict[str, Entry]:
    """The CLI's file format: `{"all": level, "<policy>": level | {"enforcementLevel": level, "<key>": value}}`."""
    if not isinstance(data, Mapping):
        raise CheckError(f"{source}: must be a JSON object keyed by policy name")
    layer: dict[str, Entry] = {}
    for name, value in data.items():
        entry = _entry(str(name), value, source)
        if entry.level is not None or entry.properties:
            layer[str(name)] = entry
    return layer


def _entry(name: str, value: Any, source: str) -> Entry:
    if isinstance(value, str):
        return Entry(_level(value, name, source))
    if isinstance(value, Mapping):
        properties = {str(k): v for k, v in value.items() if k != LEVEL_KEY}
        level = value.get(LEVEL_KEY)
        if level is not None and not isinstance(level, str):
            raise CheckError(f"{source}: '{name}': {LEVEL_KEY} must be a string, not {json.dumps(level)}")
        return Entry(_level(level, name, source) if level is not None else None, properties)
    raise CheckError(f"{source}: '{name}': {json.dumps(value)} is not an enforcement level or an object")


def _level(value: str, name: str, source: str) -> str:
    if value not in LEVELS:
        raise CheckError(f"{source}: '{name}': '{value}' is not a valid enforcement level ({', '.join(LEVELS)})")
    return value


def reconcile(policies: Sequence[PolicySchema], layers: Iterable[Layer]) -> dict[str, PolicyConfig]:
    result = {p.name: PolicyConfig(p.level, _defaults(p)) for p in policies}
    for layer in layers:
        _apply(result, layer)
    return result


def unknown_policies(policies: Sequence[PolicySchema], layer: Layer) -> list[str]:
    known = {p.name for p in policies}
    return sorted(name for name in layer if name != ALL and name not in known)


def _defaults(policy: PolicySchema) -> dict[str, Any]:
    return {
        key: schema["default"]
        for key, schema in policy.properties.items()
        if isinstance(schema, Mapping) and "default" in schema
    }


def _apply(result: dict[str, PolicyConfig], layer: Layer) -> None:
    every = layer.get(ALL)
    if every is not None and every.level is not None:
        for name, config in result.items():
            result[name] = PolicyConfig(every.level, config.properties)
    for name, entry in layer.items():
        current = result.get(name)
        if name == ALL or current is None:
            continue
        result[name] = PolicyConfig(entry.level or current.level, {**current.properties, **entry.properties})


def validate(pack: str, policies: Sequence[PolicySchema], config: Mapping[str, PolicyConfig], source: str) -> None:
    """Raises CheckError naming the first policy and key whose configuration fails the policy's schema."""
    for policy in policies:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {**policy.properties, LEVEL_KEY: {"type": "string", "enum": list(LEVELS)}},
        }
        if policy.required:
            schema["required"] = list(policy.required)
        properties = config[policy.name].properties if policy.name in config else {}
        try:
            jsonschema.Draft7Validator.check_schema(schema)
            errors = sorted(
                jsonschema.Draft7Validator(schema).iter_errors(properties), key=lambda e: [str(p) for p in e.path]
            )
        except jsonschema.SchemaError as exc:
            raise CheckError(
                f"policy pack '{pack}': policy '{policy.name}' has an invalid config schema: {exc.message}"
            ) from exc
        if errors:
            error = errors[0]
            where = f" (config from {source})" if source else ""
            raise CheckError(
                f"policy pack '{pack}': config of policy '{policy.name}' is invalid at key "
                f"'{_key(error)}': {error.message}{where}"
            )


def _key(error: jsonschema.ValidationError) -> str:
    path = list(error.path)
    if error.validator == "required" and isinstance(error.instance, Mapping):
        path += [key for key in error.validator_value if key not in error.instance][:1]
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "(root)"
