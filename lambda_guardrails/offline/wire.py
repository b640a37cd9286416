"""The engine's wire encoding of property values, as JSON-ready Python values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

SIG: Final = "4dabf18193072939515e22adb298388d"
SECRET_SIG: Final = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG: Final = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

Wire = Any


def is_secret(value: Wire) -> bool:
    return isinstance(value, Mapping) and value.get(SIG) == SECRET_SIG


def make_secret(value: Wire) -> dict[str, Wire]:
    return {SIG: SECRET_SIG, "value": value}


def unwrap(value: Wire) -> Wire:
    """The plain value of a possibly secret value."""
    while is_secret(value):
        value = value.get("value")
    return value


def contains_unknown(value: Wire) -> bool:
    if value == UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def is_known(value: Wire) -> bool:
    return not contains_unknown(value)


def downgrade_references(value: Wire) -> Wire:
    """Replace resource references by the resource's id (custom) or URN (component), as the engine does for
    analyzers and providers."""
    if isinstance(value, Mapping):
        if value.get(SIG) == RESOURCE_SIG:
            if "id" in value:
                return value["id"] or UNKNOWN
            return value.get("urn", "")
        return {k: downgrade_references(v) for k, v in value.items()}
    if isinstance(value, list):
        return [downgrade_references(v) for v in value]
    return value


def plain_string(value: Wire) -> str | None:
    """The value as a known string, or None."""
    value = unwrap(value)
    if isinstance(value, str) and value != UNKNOWN:
        return value
    return None
