"""Runs the pack's policies through the SDK's own analyzer servicer, with props encoded as the engine sends them.

Fixtures describe resources in a short JSON form; `encode` turns its markers into the wire format:
`{"$unknown": true}` an unknown value at preview, `{"$secret": v}` a secret, `{"$json": v}` a JSON string of v,
`{"$stringAsset": text}`, `{"$fileAsset": path}`, `{"$fileArchive": path}`, `{"$assetArchive": {name: asset}}`.
A resource naming a `base` is merged onto that base first (`expand`; the format: tests/fixtures/README.md).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as apb
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

from lambda_guardrails.offline import requests
from lambda_guardrails.offline.capture import Options
from lambda_guardrails.offline.wire import SECRET_SIG as SECRET_SIG  # re-exported for the tests
from lambda_guardrails.offline.wire import SIG, UNKNOWN, make_secret
from policypack import sdk_analyze
from policypack.registry import PACK_DESCRIPTION, PACK_NAME, PACK_VERSION, POLICIES

assert sdk_analyze.install(), "the SDK pinned in requirements-dev.txt must be one sdk_analyze was checked against"

ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
PROJECT = "fixture"
BASES = Path(__file__).parent / "fixtures" / "bases.json"
DELETE = {"$delete": True}
STACK_TYPE = "pulumi:pulumi:Stack"


def encode(value: Any) -> Any:
    if isinstance(value, list):
        return [encode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (marker, inner), = value.items()
        if marker == "$unknown":
            return UNKNOWN
        if marker == "$secret":
            return make_secret(encode(inner))
        if marker == "$json":
            return json.dumps(inner)
        if marker == "$stringAsset":
            return {SIG: ASSET_SIG, "text": inner}
        if marker == "$fileAsset":
            return {SIG: ASSET_SIG, "path": inner}
        if marker == "$fileArchive":
            return {SIG: ARCHIVE_SIG, "path": inner}
        if marker == "$assetArchive":
            return {SIG: ARCHIVE_SIG, "assets": {k: encode(v) for k, v in inner.items()}}
    return {key: encode(item) for key, item in value.items()}


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    json_format.ParseDict(props, struct)
    return struct


def level_name(level: int) -> str:
    return apb.EnforcementLevel.Name(level).lower()  # type: ignore[arg-type]


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    resource: str
    level: str
    severity: int
    message: str


@dataclass
class Outcome:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    not_applicable: list[tuple[str, str, str]] = field(default_factory=list)
    remediated: dict[str, dict[str, Any]] = field(default_factory=dict)

    def of(self, policy: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.policy == policy]


def build_servicer() -> _PolicyAnalyzerServicer:
    return _PolicyAnalyzerServicer(PACK_NAME, PACK_VERSION, list(POLICIES), EnforcementLevel.ADVISORY, None,
                                   PACK_DESCRIPTION)


def configure(servicer: _PolicyAnalyzerServicer, overrides: Mapping[str, Any] | None) -> None:
    """Configure every policy, as the engine does: level and schema defaults, then the fixture's overrides."""
    request = apb.ConfigureAnalyzerRequest()
    for policy in POLICIES:
        override = dict((overrides or {}).get(policy.name) or {})
        level = override.pop("enforcementLevel", policy.meta.level.value)
        entry = apb.PolicyConfig(enforcementLevel=apb.EnforcementLevel.Value(level.upper()))
        entry.properties.update({**policy.meta.defaults(), **override})
        request.policyConfig[policy.name].CopyFrom(entry)
    servicer.Configure(request, None)


@contextmanager
def pulumi_environment(stack: str, stack_config: Mapping[str, str], dry_run: bool) -> Iterator[None]:
    values = {
        "PULUMI_STACK": stack,
        "PULUMI_PROJECT": PROJECT,
        "PULUMI_ORGANIZATION": "organization",
        "PULUMI_DRY_RUN": "true" if dry_run else "false",
        "PULUMI_CONFIG": json.dumps(dict(stack_config)),
    }
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass(frozen=True)
class Resource:
    """A fixture resource as the engine knows it, for the offline check's request builder."""

    urn: str
    type: str
    name: str
    parent: str
    provider_urn: str
    dependencies: tuple[str, ...]
    property_dependencies: Mapping[str, tuple[str, ...]]
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    options: Options = field(default_factory=Options)


class Stack:
    """A fixture's resources with URNs, parents and providers resolved as the engine would."""

    def __init__(self, resources: list[Mapping[str, Any]], stack: str) -> None:
        self.stack = stack
        root = {"type": STACK_TYPE, "name": f"{PROJECT}-{stack}", "props": {}}
        self.resources = [root, *resources]
        self.by_name = {r["name"]: r for r in self.resources}
        self.urns: dict[str, str] = {}
        for resource in self.resources:
            self.urns[resource["name"]] = self._urn(resource)
        self.inputs = {r["name"]: encode(r.get("props") or {}) for r in self.resources}
        self.providers = {r["provider"] for r in self.resources if r.get("provider")}

    def _type_chain(self, resource: Mapping[str, Any]) -> str:
        parent = resource.get("parent")
        if resource["type"] == STACK_TYPE or parent not in self.by_name:
            return resource["type"]
        return f"{self._type_chain(self.by_name[parent])}${resource['type']}"

    def _urn(self, resource: Mapping[str, Any]) -> str:
        return f"urn:pulumi:{self.stack}::{PROJECT}::{self._type_chain(resource)}::{resource['name']}"

    def parent_urn(self, resource: Mapping[str, Any]) -> str:
        if resource["type"] == STACK_TYPE:
            return ""
        parent = resource.get("parent") or f"{PROJECT}-{self.stack}"
        return self.urns.get(parent, parent)

    def names_to_urns(self, names: list[str]) -> tuple[str, ...]:
        return tuple(self.urns.get(name, name) for name in names)

    def view(self, resource: Mapping[str, Any]) -> Resource:
        """The resource with its current inputs (remediated ones once Remediate changed them)."""
        name = resource["name"]
        inputs = self.inputs[name]
        return Resource(
            urn=self.urns[name], type=resource["type"], name=name, parent=self.parent_urn(resource),
            provider_urn=self.urns[resource["provider"]] if resource.get("provider") else "",
            dependencies=self.names_to_urns(resource.get("dependencies", [])),
            property_dependencies={prop: self.names_to_urns(names)
                                   for prop, names in (resource.get("propertyDependencies") or {}).items()},
            inputs=inputs, outputs={**inputs, **encode(resource.get("outputs") or {})})

    def provider_views(self) -> dict[str, Resource]:
        return {self.urns[name]: self.view(self.by_name[name]) for name in self.providers}


def run_stack(
    resources: list[Mapping[str, Any]],
    *,
    stack: str = "dev",
    stack_config: Mapping[str, str] | None = None,
    policy_config: Mapping[str, Any] | None = None,
    dry_run: bool = True,
    servicer: _PolicyAnalyzerServicer | None = None,
    per_resource: bool = True,
) -> Outcome:
    """Remediate and Analyze each resource (unless per_resource is False), then AnalyzeStack, as the engine does.

    The requests come from the offline check's builder, so every fixture also tests how the check encodes them."""
    servicer = servicer or build_servicer()
    configure(servicer, policy_config)
    model = Stack(list(resources), stack)
    outcome = Outcome()
    with pulumi_environment(stack, stack_config or {}, dry_run):
        for resource in model.resources if per_resource else ():
            _remediate(servicer, model, resource, outcome)
            request = requests.analyze_request(model.view(resource), model.provider_views())
            _collect(outcome, analyze(servicer, request), resource["name"], model)
        stack_request = requests.analyze_stack_request(model.view(r) for r in model.resources)
        _collect(outcome, analyze_stack(servicer, stack_request), f"{PROJECT}-{stack}", model)
    return outcome


def analyze(servicer: _PolicyAnalyzerServicer, request: apb.AnalyzeRequest) -> apb.AnalyzeResponse:
    """The pack's Analyze (sdk_analyze's), checked against the SDK's own on the same request."""
    ours = servicer.Analyze(request, None)
    return _same_as_stock(ours, sdk_analyze.STOCK_ANALYZE(servicer, request, None))


def analyze_stack(servicer: _PolicyAnalyzerServicer, request: apb.AnalyzeStackRequest) -> apb.AnalyzeResponse:
    """The pack's AnalyzeStack (sdk_analyze's), checked against the SDK's own on the same request."""
    ours = servicer.AnalyzeStack(request, None)
    return _same_as_stock(ours, sdk_analyze.STOCK_ANALYZE_STACK(servicer, request, None))


def _same_as_stock(ours: apb.AnalyzeResponse, stock: apb.AnalyzeResponse) -> apb.AnalyzeResponse:
    assert ours.SerializeToString(deterministic=True) == stock.SerializeToString(deterministic=True), (
        "sdk_analyze answered differently from the SDK")
    return ours


def _remediate(servicer: _PolicyAnalyzerServicer, model: Stack, resource: Mapping[str, Any],
               outcome: Outcome) -> None:
    name = resource["name"]
    response = servicer.Remediate(requests.analyze_request(model.view(resource), model.provider_views()), None)
    for remediation in response.remediations:
        if remediation.properties.fields:
            model.inputs[name] = json_format.MessageToDict(remediation.properties)
            outcome.remediated[name] = model.inputs[name]
    for item in response.not_applicable:
        outcome.not_applicable.append((item.policy_name, name, item.reason))


def _collect(outcome: Outcome, response: Any, default_resource: str, model: Stack) -> None:
    names_by_urn = {urn: name for name, urn in model.urns.items()}
    for diagnostic in response.diagnostics:
        resource = names_by_urn.get(diagnostic.urn, diagnostic.urn) if diagnostic.urn else default_resource
        outcome.diagnostics.append(Diagnostic(diagnostic.policyName, resource, level_name(diagnostic.enforcementLevel),
                                              diagnostic.severity, diagnostic.message))
    for item in response.not_applicable:
        outcome.not_applicable.append((item.policy_name, default_resource, item.reason))


def merge(base: Any, overlay: Any) -> Any:
    """`overlay` over `base`: objects merge key by key, `{"$delete": true}` removes a key of the base, anything else
    replaces what the base has (lists, scalars and markers such as `{"$unknown": true}` whole)."""
    if not (is_object(base) and is_object(overlay)):
        return overlay
    merged = dict(base)
    for key, value in overlay.items():
        if value == DELETE:
            if key not in merged:
                raise ValueError(f"$delete of {key!r}, which the base does not have")
            del merged[key]
        else:
            merged[key] = merge(base.get(key, {}), value)
    return merged


def is_object(value: Any) -> bool:
    return isinstance(value, dict) and not (len(value) == 1 and next(iter(value)).startswith("$"))


@functools.cache
def bases() -> dict[str, Any]:
    return dict(json.loads(BASES.read_text(encoding="utf-8")))


def expand(case: Mapping[str, Any]) -> dict[str, Any]:
    """The case with each resource that names a `base` merged onto that base; a resource without one is taken whole."""
    return {**case, "resources": [_from_base(resource) for resource in case["resources"]]}


def _from_base(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    if "base" not in resource:
        return resource
    name = resource["base"]
    if name not in bases():
        raise ValueError(f"{BASES}: no base {name!r}")
    return dict(merge(bases()[name], {k: v for k, v in resource.items() if k != "base"}))


def run_case(case: Mapping[str, Any]) -> Outcome:
    """Runs one fixture file's content (README.md in tests/fixtures describes the format)."""
    case = expand(case)
    return run_stack(
        case["resources"],
        stack=case.get("stack", "dev"),
        stack_config=case.get("stackConfig"),
        policy_config=case.get("config"),
        dry_run=case.get("dryRun", True),
    )
