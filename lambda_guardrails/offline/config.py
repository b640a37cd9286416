"""Policy configuration, reconciled as the engine does: schema defaults, then the pack's initial config, then the
`--policy-pack-config` file; in each layer `all` first, then each policy's entry.

Citations are to Pulumi v3.274.1, `pkg/resource/analyzer/config.go` unless another file is named."""

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
VERSION_KEY: Final = "version"
ENVIRONMENTS_KEY: Final = "environments"


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
    """The CLI's file format: `{"all": level, "<policy>": level | {"enforcementLevel": level, "<key>": value}}`, or
    a version 2 file, `{"version": 2, "policies": {...}}` (`parsePolicyPackConfig`, `:112-157`)."""
    if not isinstance(data, Mapping):
        raise CheckError(f"{source}: must be a JSON object keyed by policy name")
    if isinstance(data.get(VERSION_KEY), int | float) and not isinstance(data.get(VERSION_KEY), bool):
        data = _version_2_policies(data, source)
    if ENVIRONMENTS_KEY in data:
        raise CheckError(
            f"{source}: '{ENVIRONMENTS_KEY}' names Pulumi ESC environments, which need a Pulumi Cloud login; "
            "the offline check cannot open them"
        )
    layer: dict[str, Entry] = {}
    for name, value in data.items():
        entry = _entry(str(name), value, source)
        if entry.level is not None or entry.properties:
            layer[str(name)] = entry
    return layer


def _version_2_policies(data: Mapping[str, Any], source: str) -> Mapping[str, Any]:
    if data[VERSION_KEY] > 2:
        raise CheckError(f"{source}: policy pack config version {data[VERSION_KEY]} isn't supported")
    if data[VERSION_KEY] != 2:
        raise CheckError(f'{source}: "{VERSION_KEY}" must be 2')
    if data.get("exceptions"):
        raise CheckError(f"{source}: 'exceptions' (policy exceptions of the Pulumi CLI) are not supported by the "
                         "offline check; use each policy's 'exemptions' property")
    policies = data.get("policies")
    policies = {} if policies is None else policies
    if not isinstance(policies, Mapping):
        raise CheckError(f"{source}: 'policies' must be a JSON object keyed by policy name")
    return {**policies, **({ENVIRONMENTS_KEY: data[ENVIRONMENTS_KEY]} if ENVIRONMENTS_KEY in data else {})}


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
    """Every policy's level and properties. Like the engine (`applyConfig`, `:397-431`), it also carries the names a
    layer gives that are no policy of the pack (`all`, a typo): with a level "" when no layer gives them one, which
    `check_levels` then rejects as `Configure` does."""
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
        current = result.get(name, PolicyConfig("", {}))
        result[name] = PolicyConfig(entry.level or current.level, {**current.properties, **entry.properties})


def check_levels(pack: str, config: Mapping[str, PolicyConfig], source: str) -> None:
    """The engine's `Configure` refuses a name whose reconciled level is "" (`pkg/resource/plugin/analyzer_plugin.go`
    `:564-567`): a name that is no policy of the pack, given properties but no `enforcementLevel`."""
    for name, policy_config in sorted(config.items()):
        if policy_config.level not in LEVELS:
            where = f"{source}: " if source else ""
            raise CheckError(
                f'configuring policy pack "{pack}": invalid enforcement level "{policy_config.level}" ({where}'
                f"'{name}' is no policy of the pack and sets no {LEVEL_KEY})"
            )


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
