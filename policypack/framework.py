"""What every rule needs: metadata fed to the SDK, config with defaults, exemptions, messages, stack indexes."""

from __future__ import annotations

import datetime
import json
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import ReportViolation
from pulumi_policy.proxy import UnknownValueError

from .patterns import PatternError, compiled, search
from .values import MAX_WIRE_DEPTH, UNKNOWN, describe, get, plain

GUIDE_PATH: Final = "docs/remediation.md"
GUIDE_URL: Final = "https://github.com/aws-lambda-guardrails/aws-lambda-guardrails/blob/main/docs/remediation.md"

EXEMPTIONS_SCHEMA: Final[dict[str, Any]] = {
    "type": "array",
    "description": "Resources this policy does not apply to: a regex (RE2 syntax) searched in the logical name "
    "and in the URN's type-and-name part (never its stack or project), a required reason, and an optional expiry "
    "date (YYYY-MM-DD) after which the exemption lapses.",
    "default": [],
    "items": {
        "type": "object",
        "properties": {
            "resource": {"type": "string", "minLength": 1, "format": "regex"},
            "reason": {"type": "string", "minLength": 1},
            "expires": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "format": "date"},
        },
        "required": ["resource", "reason"],
        "additionalProperties": False,
    },
}


@dataclass(frozen=True)
class Guide:
    """The remediation guide's material for one policy; rendered into docs/remediation.md."""

    why: str
    aws_error: str = ""
    links: tuple[str, ...] = ()
    failing: str = ""
    compliant: str = ""
    unknowns: tuple[tuple[str, str], ...] = ()  # (property, what the policy does when it is unknown at preview)


@dataclass(frozen=True)
class Control:
    """The AWS Foundational Security Best Practices control a policy agrees with, and the NIST 800-53 r5 controls
    its Security Hub page lists."""

    control: str
    nist: tuple[str, ...] = ()

    NAME: ClassVar[str] = "AWS Foundational Security Best Practices"
    VERSION: ClassVar[str] = "1.0.0"

    @property
    def specification(self) -> str:
        return f"NIST 800-53 r5: {', '.join(self.nist)}" if self.nist else ""

    def sdk_framework(self) -> PolicyComplianceFramework:
        return PolicyComplianceFramework(name=self.NAME, version=self.VERSION, reference=self.control,
                                         specification=self.specification or None)


@dataclass(frozen=True)
class Meta:
    """Everything about a policy that is written once: handed to the SDK and rendered into the guide."""

    name: str
    description: str
    level: EnforcementLevel
    severity: Severity
    tags: tuple[str, ...]
    remediation_steps: str
    types: tuple[str, ...]
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    guide: Guide | None = None
    compliance: Control | None = None
    _defaults: Mapping[str, Any] = field(init=False, repr=False, compare=False)

    @property
    def anchor(self) -> str:
        return f"{GUIDE_PATH}#{self.name}"

    @property
    def url(self) -> str:
        return f"{GUIDE_URL}#{self.name}"

    def schema_properties(self) -> dict[str, dict[str, Any]]:
        return {**{key: dict(value) for key, value in self.config.items()}, "exemptions": EXEMPTIONS_SCHEMA}

    def __post_init__(self) -> None:
        # Read for every resource each policy sees, so computed once.
        defaults = {key: value["default"] for key, value in self.schema_properties().items() if "default" in value}
        object.__setattr__(self, "_defaults", MappingProxyType(defaults))

    def defaults(self) -> Mapping[str, Any]:
        return self._defaults

    def message(self, text: str) -> str:
        return f"{text} See {self.anchor}"

    def sdk_fields(self) -> dict[str, Any]:
        """The SDK's own policy fields, filled from this metadata."""
        return {
            "name": self.name,
            "description": self.description,
            "enforcement_level": self.level,
            "config_schema": PolicyConfigSchema(self.schema_properties()),
            "severity": self.severity,
            "tags": list(self.tags),
            "remediation_steps": self.remediation_steps,
            "url": self.url,
            "framework": self.compliance.sdk_framework() if self.compliance else None,
        }


# --- exemptions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exemption:
    pattern: str
    reason: str
    expires: datetime.date | None

    def matches(self, name: str, urn: str) -> bool:
        return search(self.pattern, name) or search(self.pattern, urn_type_and_name(urn))

    def expired(self, today: datetime.date) -> bool:
        return self.expires is not None and self.expires < today

    def describe(self) -> str:
        until = f" until {self.expires.isoformat()}" if self.expires else ""
        return f"exempted by '{self.pattern}'{until}: {self.reason}"


DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only: `\d` takes full-width ones


class ConfigError(ValueError):
    """A config value the schema lets through but the policy cannot use; the text names the key and the value."""


def parse_exemptions(raw: Any) -> list[Exemption]:
    """Exemptions from config. Entries of the wrong shape are left out (the engine validates the schema first);
    an invalid regex or a date that does not exist is a ConfigError, never a permanent or a silent exemption."""
    result: list[Exemption] = []
    if not isinstance(raw, (list, tuple)):
        return result
    for index, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            continue
        pattern, reason = entry.get("resource"), entry.get("reason")
        if not isinstance(pattern, str) or not pattern or not isinstance(reason, str) or not reason:
            continue
        _check_pattern(f"exemptions[{index}].resource", pattern)
        result.append(Exemption(pattern, reason, _parse_date(f"exemptions[{index}].expires", entry.get("expires"))))
    return result


def _parse_date(key: str, value: Any) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, str) and DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError as exc:
            raise ConfigError(f"key '{key}': {json.dumps(value)} is not a date ({exc})") from None
    raise ConfigError(f"key '{key}': {json.dumps(value)} is not a date in the form YYYY-MM-DD")


def _check_pattern(key: str, pattern: str) -> None:
    try:
        compiled(pattern)
    except PatternError as exc:
        raise ConfigError(f"key '{key}': {json.dumps(pattern)} is not a valid regex (RE2 syntax): {exc}") from None


def check_config(meta: Meta, given: Mapping[str, Any] | None) -> None:
    """Raises ConfigError for the first regex (a key of format "regex", or a list of them) or exemption in the
    policy's merged config that cannot be used."""
    config = merged_config(meta, given)
    for key, schema in meta.config.items():
        value = config.get(key)
        if schema.get("format") == "regex" and isinstance(value, str):
            _check_pattern(key, value)
        elif schema.get("items", {}).get("format") == "regex" and isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    _check_pattern(f"{key}[{index}]", item)
    parse_exemptions(config.get("exemptions"))


@dataclass(frozen=True)
class ExemptionVerdict:
    active: Exemption | None
    expired: Exemption | None


def judge_exemptions(exemptions: Iterable[Exemption], name: str, urn: str) -> ExemptionVerdict:
    active = expired = None
    for exemption in exemptions:
        if not exemption.matches(name, urn):
            continue
        if exemption.expired(datetime.date.today()):
            expired = expired or exemption
        else:
            active = active or exemption
    return ExemptionVerdict(active, expired)


def expired_note(exemption: Exemption | None) -> str:
    if exemption is None or exemption.expires is None:
        return ""
    return f" The exemption '{exemption.pattern}' expired on {exemption.expires.isoformat()} and no longer applies."


# --- the stack the pack runs in -----------------------------------------------------------------------------


def current_stack() -> str:
    return os.environ.get("PULUMI_STACK", "")


_config_cache: dict[str, dict[str, str]] = {}


def stack_config() -> dict[str, str]:
    """The stack config the CLI handed to the pack (`PULUMI_CONFIG`), as `namespace:key` -> string."""
    raw = os.environ.get("PULUMI_CONFIG", "")
    if raw not in _config_cache:
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {}
        _config_cache[raw] = {str(k): v for k, v in parsed.items() if isinstance(v, str)} if isinstance(
            parsed, dict) else {}
    return _config_cache[raw]


_secret_keys: set[str] = set()


def configure_stack(secret_keys: Iterable[str]) -> None:
    """The config keys the engine says are secret (ConfigureStack's config_secret_keys, sent by
    pkg/resource/plugin/analyzer_plugin.go:164-183 in Pulumi v3.274.1; the SDK itself drops them)."""
    _secret_keys.clear()
    _secret_keys.update(secret_keys)


def secret_config_keys() -> frozenset[str]:
    """Secret config keys: those of ConfigureStack, and PULUMI_CONFIG_SECRET_KEYS where a host sets it."""
    try:
        listed = json.loads(os.environ.get("PULUMI_CONFIG_SECRET_KEYS") or "[]")
    except ValueError:
        listed = []
    return frozenset(_secret_keys | {k for k in listed if isinstance(k, str)} if isinstance(listed, list) else
                     _secret_keys)


def urn_name(urn: str) -> str:
    parts = urn.split("::", 3)
    return parts[3] if len(parts) == 4 else urn.rsplit("::", 1)[-1]


def urn_type_and_name(urn: str) -> str:
    """`parent$type::name` of `urn:pulumi:stack::project::parent$type::name`, without the stack and project."""
    parts = urn.split("::", 2)
    return parts[2] if len(parts) == 3 else urn


# --- resource policies -------------------------------------------------------------------------------------


class Finding:
    __slots__ = ("message", "urn")

    def __init__(self, message: str, urn: str | None = None) -> None:
        self.message = message
        self.urn = urn


def _plain_dict(props: Any) -> dict[str, Any]:
    result = plain(props)
    return result if isinstance(result, dict) else {}


_last_props: tuple[Any, dict[str, Any]] = (None, {})


def plain_props(props: Any) -> dict[str, Any]:
    """The plain copy of a resource's props, made once per Analyze: the policies it calls share one props proxy
    (sdk_analyze), so every rule gets the same dict, which rules therefore only read."""
    global _last_props
    last = _last_props  # one read: the engine may call Analyze from several threads
    if last[0] is props:
        return last[1]
    result = _plain_dict(props)
    _last_props = (props, result)
    return result


class ResourceContext:
    """What a resource rule sees: plain props with UNKNOWN markers, merged config, and where to put findings."""

    def __init__(self, args: ResourceValidationArgs, config: Mapping[str, Any]) -> None:
        self.type = args.resource_type
        self.name = args.name
        self.urn = args.urn
        self.wire_props = args.props
        self.props = plain_props(args.props)
        self.config = config
        self._provider = args.provider
        self._provider_props: dict[str, Any] | None = None
        self.findings: list[Finding] = []
        self.undecided = [f"cannot read {key}: it is nested deeper than {MAX_WIRE_DEPTH} levels"
                          for key in sorted(getattr(args, "unreadable", ()))]

    @property
    def provider_props(self) -> dict[str, Any]:
        """The provider's inputs, read on first use (only the tagging rule needs them)."""
        if self._provider_props is None:
            self._provider_props = plain(self._provider.props) if self._provider is not None else {}
        return self._provider_props

    def fail(self, message: str) -> None:
        self.findings.append(Finding(message))

    def cannot_decide(self, reason: str) -> None:
        self.undecided.append(reason)

    def expect(self, path: str, expected: str, known_values: Sequence[str], consequence: str) -> None:
        """The common check of a string property against the one value it must have: unknown at preview it is
        undecided; any other value (or none) is a violation naming what was found, then `consequence`."""
        value = get(self.props, path)
        if value is UNKNOWN:
            self.cannot_decide(f"{path} is unknown at preview")
        elif value != expected:
            self.fail(f'{path} is {describe(value, known_values)}, not "{expected}": {consequence}')

    def set(self, key: str, value: Any) -> None:
        """A remediation's change: the property the engine gets back, and what the rule reads from then on."""
        self.wire_props[key] = value  # type: ignore[index]  # the SDK's props are a plain dict when remediating
        self.props[key] = value


ResourceCheck = Callable[[ResourceContext], None]
# A remediation sees what a check sees and changes props through ResourceContext.set; True when it changed any.
ResourceFix = Callable[[ResourceContext], bool]


def merged_config(meta: Meta, given: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**meta.defaults(), **dict(given or {})}


def config_error(meta: Meta, exc: Exception) -> str:
    return meta.message(f"The policy's config is invalid, so it fails closed: {exc}.")


def internal_error(meta: Meta, exc: BaseException) -> str:
    # Only the exception's type: its text may quote a property value.
    return meta.message(
        f"The policy could not evaluate this resource ({type(exc).__name__}); it fails closed. "
        "Please report this to the aws-lambda-guardrails maintainers."
    )


class GuardResourcePolicy(ResourceValidationPolicy):
    def __init__(self, meta: Meta, check: ResourceCheck, fix: ResourceFix | None = None) -> None:
        self.meta = meta
        self.remediable = fix is not None
        self._check = check
        self._fix = fix
        super().__init__(
            validate=self._validate,
            remediate=self._remediate if fix else None,  # type: ignore[arg-type]  # the SDK accepts a plain result
            **meta.sdk_fields(),
        )

    def applies_to(self, resource_type: str) -> bool:
        return not self.meta.types or resource_type in self.meta.types

    def _validate(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not self.applies_to(args.resource_type):
            return
        try:
            config = merged_config(self.meta, args.get_config())
            verdict = judge_exemptions(parse_exemptions(config.get("exemptions")), args.name, args.urn)
            context = ResourceContext(args, config)
            self._check(context)
        except UnknownValueError:
            if verdict.active is not None:
                args.not_applicable(verdict.active.describe())
            raise  # a rule that can only decide after preview: the SDK reports its own advisory
        except (ConfigError, PatternError) as exc:
            report(config_error(self.meta, exc), None)
            return
        except Exception as exc:  # noqa: BLE001 - an exception would abort the user's whole preview
            report(internal_error(self.meta, exc), None)
            return
        if context.findings and verdict.active is not None:
            args.not_applicable(verdict.active.describe())
        for finding in context.findings:
            report(self.meta.message(finding.message + expired_note(verdict.expired)), None)
        if not context.findings and context.undecided:
            args.not_applicable("; ".join(context.undecided))

    def _remediate(self, args: ResourceValidationArgs) -> Mapping[str, Any] | None:
        if self._fix is None or not self.applies_to(args.resource_type):
            return None
        try:
            config = merged_config(self.meta, args.get_config())
            if judge_exemptions(parse_exemptions(config.get("exemptions")), args.name, args.urn).active:
                return None
            return args.props if self._fix(ResourceContext(args, config)) else None
        except Exception:  # noqa: BLE001 - validation still reports what remediation could not fix
            return None


def resource_policy(meta: Meta, check: ResourceCheck, fix: ResourceFix | None = None) -> GuardResourcePolicy:
    return GuardResourcePolicy(meta, check, fix)


# --- stack policies ----------------------------------------------------------------------------------------


class Res:
    """A stack resource; its outputs are read into plain data on first use, all of them or one key."""

    __slots__ = ("_props", "name", "source", "type", "urn")

    def __init__(self, urn: str, type_: str, name: str, source: PolicyResource) -> None:
        self.urn, self.type, self.name, self.source = urn, type_, name, source
        self._props: dict[str, Any] | None = None

    @property
    def props(self) -> dict[str, Any]:
        if self._props is None:
            self._props = _plain_dict(self.source.props)
        return self._props

    def prop(self, key: str) -> Any:
        """One top-level output as plain data (None when absent), without reading the others."""
        if self._props is not None:
            return self._props.get(key)
        source = self.source.props
        try:
            if key not in list(source):
                return None
            return plain(source[key])
        except UnknownValueError:
            return UNKNOWN
        except Exception:  # noqa: BLE001
            return None

    @property
    def physical_name(self) -> str | None:
        value = self.prop("name")
        return value if isinstance(value, str) else None


class StackIndex:
    """The stack's resources indexed once (by URN, type, physical name and parent) so rules stay linear."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.by_urn: dict[str, Res] = {}
        self.by_type: dict[str, list[Res]] = defaultdict(list)
        self._names: dict[str, dict[str, list[Res]]] = {}
        self.children: dict[str, list[Res]] = defaultdict(list)
        for source in resources:
            res = Res(source.urn, source.resource_type, source.name, source)
            self.by_urn[res.urn] = res
            self.by_type[res.type].append(res)
            if source.parent is not None:
                self.children[source.parent.urn].append(res)

    def of_type(self, *types: str) -> list[Res]:
        return [res for resource_type in types for res in self.by_type.get(resource_type, ())]

    def named(self, resource_type: str, name: str) -> list[Res]:
        """Resources of a type by physical name; each type is indexed on its first lookup."""
        names = self._names.get(resource_type)
        if names is None:
            names = defaultdict(list)
            for res in self.by_type.get(resource_type, ()):
                if (physical := res.physical_name) is not None:
                    names[physical].append(res)
            self._names[resource_type] = names
        return names.get(name, [])

    def property_sources(self, res: Res, prop: str) -> list[Res]:
        """The resources `prop` was computed from, with components expanded into their custom descendants."""
        try:
            sources = res.source.property_dependencies.get(prop) or []
        except Exception:  # noqa: BLE001 - malformed dependency data decides nothing
            return []
        result: list[Res] = []
        seen: set[str] = set()
        pending = [s.urn for s in sources if hasattr(s, "urn")]
        while pending:
            urn = pending.pop()
            if urn in seen or urn not in self.by_urn:
                continue
            seen.add(urn)
            found = self.by_urn[urn]
            if found.type.startswith("aws:") or found.type.startswith("pulumi:providers:"):
                result.append(found)
            else:
                pending.extend(child.urn for child in self.children.get(urn, ()))
        return result


class StackContext:
    def __init__(self, args: StackValidationArgs, config: Mapping[str, Any]) -> None:
        self.index = StackIndex(args.resources)
        self.config = config
        self.findings: list[Finding] = []
        self.undecided: list[str] = []

    def fail(self, message: str, urn: str | None = None) -> None:
        self.findings.append(Finding(message, urn))

    def cannot_decide(self, reason: str) -> None:
        self.undecided.append(reason)


StackCheck = Callable[[StackContext], None]


class GuardStackPolicy(StackValidationPolicy):
    remediable = False

    def __init__(self, meta: Meta, check: StackCheck) -> None:
        self.meta = meta
        self._check = check
        super().__init__(validate=self._validate, **meta.sdk_fields())

    def _validate(self, args: StackValidationArgs, report: ReportViolation) -> None:
        try:
            config = merged_config(self.meta, args.get_config())
            context = StackContext(args, config)
            self._check(context)
            exemptions = parse_exemptions(config.get("exemptions"))
        except (ConfigError, PatternError) as exc:
            report(config_error(self.meta, exc), None)
            return
        except Exception as exc:  # noqa: BLE001 - an exception would abort the user's whole preview
            report(internal_error(self.meta, exc), None)
            return
        notes = list(context.undecided)
        for finding in context.findings:
            urn = finding.urn or ""
            verdict = judge_exemptions(exemptions, urn_name(urn), urn) if urn else ExemptionVerdict(None, None)
            if verdict.active is not None:
                notes.append(f"{urn_name(urn)} {verdict.active.describe()}")
                continue
            report(self.meta.message(finding.message + expired_note(verdict.expired)), finding.urn)
        if notes:
            args.not_applicable("; ".join(notes))


def stack_policy(meta: Meta, check: StackCheck) -> GuardStackPolicy:
    return GuardStackPolicy(meta, check)


__all__ = [
    "UNKNOWN",
    "Control",
    "EnforcementLevel",
    "Guide",
    "Meta",
    "Res",
    "ResourceContext",
    "Severity",
    "StackContext",
    "StackIndex",
    "current_stack",
    "resource_policy",
    "stack_config",
    "stack_policy",
]
