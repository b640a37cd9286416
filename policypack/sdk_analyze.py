"""pulumi-policy's `Analyze` and `AnalyzeStack`, reading the request once per call instead of once per policy.

The SDK's `_PolicyAnalyzerServicer` (pulumi_policy/policy.py) deserializes the request inside its loop over
policies: in `Analyze` a resource's props, options and provider once per resource policy (15 times per resource
for this pack, half the time of every call), in `AnalyzeStack` the whole stack once per stack policy (6 times).
`Remediate` in the same file reads its request once, before its loop. `install()` gives both methods that shape
on the SDK versions whose code this was compared against, line by line; on any other version the SDK's own run.
The responses are the same: tests/harness.py runs every request through both.
"""

from __future__ import annotations

import asyncio
import os
from inspect import isawaitable
from typing import Any, Final

import grpc
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import policy as sdk_policy
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError, _PolicyAnalyzerServicer
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy
from pulumi_policy.version import VERSION

from .framework import ConfigError, GuardResourcePolicy, GuardStackPolicy, check_config
from .framework import configure_stack as configure_secret_keys
from .values import struct_dict

CHECKED_SDK_VERSIONS: Final = frozenset({"1.20.0", "1.21.0"})
STOCK_ANALYZE: Final = _PolicyAnalyzerServicer.Analyze
STOCK_ANALYZE_STACK: Final = _PolicyAnalyzerServicer.AnalyzeStack
STOCK_CONFIGURE: Final = _PolicyAnalyzerServicer.Configure
# What the SDK's `_configure_runtime_settings` reads (pulumi_policy/policy.py, 1.20/1.21).
RUNTIME_ENVIRONMENT: Final = ("PULUMI_CONFIG", "PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_DRY_RUN",
                              "PULUMI_ORGANIZATION")
STOCK_CONFIGURE_STACK: Final = _PolicyAnalyzerServicer.ConfigureStack


def configure_stack(self: Any, request: Any, context: Any) -> Any:
    """The SDK's `ConfigureStack`, keeping the secret config keys it ignores, so that no message quotes them."""
    configure_secret_keys(request.config_secret_keys)
    return STOCK_CONFIGURE_STACK(self, request, context)


def configure(self: Any, request: Any, context: Any) -> Any:
    """The SDK's `Configure`, then each policy's merged config checked: a regex or an expiry date the policy cannot
    use ends the call with INVALID_ARGUMENT naming the policy and key, so the engine stops before any Analyze."""
    response = STOCK_CONFIGURE(self, request, context)
    for policy in self._PolicyAnalyzerServicer__policies:
        if not isinstance(policy, (GuardResourcePolicy, GuardStackPolicy)):
            continue
        try:
            check_config(policy.meta, self._get_policy_config(policy.name))
        except ConfigError as exc:
            message = f"policy '{policy.name}': invalid config at {exc}"
            if context is None:  # called directly, as the tests do
                raise ConfigError(message) from None
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, message)
    return response


def _configure_runtime(self: Any) -> None:
    """The SDK configures Pulumi's runtime from the environment on every call, a quarter of an `Analyze`; the
    environment does not change while the engine talks to the pack, so configure again only when it has."""
    environment = tuple(os.environ.get(name) for name in RUNTIME_ENVIRONMENT)
    if getattr(self, "_guard_runtime_environment", None) != environment:
        self._configure_runtime_settings()
        self._guard_runtime_environment = environment


def analyze(self: Any, request: Any, _context: Any) -> Any:
    """The SDK's `Analyze` with the request read once, and policies of other resource types skipped."""
    _configure_runtime(self)
    response = proto.AnalyzeResponse()
    props = opts = provider = None
    unreadable: list[str] = []

    for policy in self._PolicyAnalyzerServicer__policies:
        enforcement_level = self._get_enforcement_level(policy)
        if enforcement_level == EnforcementLevel.DISABLED or not isinstance(policy, ResourceValidationPolicy):
            continue
        if isinstance(policy, GuardResourcePolicy) and not policy.applies_to(request.type):
            continue  # its validate would return at once, reporting nothing
        if not policy.has_validation():
            response.not_applicable.append(proto.PolicyNotApplicable(
                policy_name=policy.name, reason="Policy does not implement validate"))
            continue
        if enforcement_level == EnforcementLevel.REMEDIATE:
            enforcement_level = EnforcementLevel.MANDATORY

        report_violation = self._create_report_violation(response, policy.name, policy.description,
                                                         enforcement_level, policy.severity)
        if props is None:
            props = unknown_checking_proxy(deserialize_properties(struct_dict(request.properties, unreadable)))
            opts = self._get_resource_options(request)
            provider = self._get_provider_resource(request)
        args = ResourceValidationArgs(request.type, props, request.urn, request.name, opts, provider,  # type: ignore[arg-type]
                                      self._get_policy_config(policy.name), self._PolicyAnalyzerServicer__stack_tags)
        args.unreadable = unreadable  # type: ignore[attr-defined]  # read by GuardResourcePolicy
        _run_policy(self, policy, args, report_violation, response)

    return response


def analyze_stack(self: Any, request: Any, _context: Any) -> Any:
    """The SDK's `AnalyzeStack` with the stack built once, each policy getting its own list of the resources."""
    _configure_runtime(self)
    response = proto.AnalyzeResponse()
    resources: list[PolicyResource] | None = None

    for policy in self._PolicyAnalyzerServicer__policies:
        enforcement_level = self._get_enforcement_level(policy)
        if enforcement_level == EnforcementLevel.DISABLED or not isinstance(policy, StackValidationPolicy):
            continue
        if enforcement_level == EnforcementLevel.REMEDIATE:
            enforcement_level = EnforcementLevel.MANDATORY

        report_violation = self._create_report_violation(response, policy.name, policy.description,
                                                         enforcement_level, policy.severity)
        if resources is None:
            resources = _stack_resources(self, request)
        args = StackValidationArgs(list(resources), self._get_policy_config(policy.name),
                                   self._PolicyAnalyzerServicer__stack_tags)
        _run_policy(self, policy, args, report_violation, response)

    return response


def _stack_resources(self: Any, request: Any) -> list[PolicyResource]:
    """The stack's resources, with parents and (property) dependencies as resource objects, as the SDK builds them."""
    resources: list[PolicyResource] = []
    for r in request.resources:
        props = unknown_checking_proxy(deserialize_properties(struct_dict(r.properties)))
        resources.append(PolicyResource(r.type, props, r.urn, r.name, self._get_resource_options(r),
                                        self._get_provider_resource(r), None, [], {}))
    by_urn = {resource.urn: resource for resource in resources}
    for r, resource in zip(request.resources, resources, strict=True):
        if r.parent is not None and r.parent in by_urn:
            resource.parent = by_urn[r.parent]
        resource.dependencies.extend(by_urn[urn] for urn in r.dependencies if urn in by_urn)
        for prop, deps in r.propertyDependencies.items():
            resource.property_dependencies[prop] = [by_urn[urn] for urn in deps.urns if urn in by_urn]
    return resources


def _run_policy(self: Any, policy: Any, args: Any, report_violation: Any, response: Any) -> None:
    """One policy's validate, as the SDK runs it: an unknown value becomes its advisory, not_applicable its note."""
    try:
        result = policy.validate(args, report_violation)
        if isawaitable(result):
            loop = asyncio.new_event_loop()
            loop.run_until_complete(result)
            loop.close()
    except UnknownValueError as e:
        pack_name = self._PolicyAnalyzerServicer__policy_pack_name
        pack_version = self._PolicyAnalyzerServicer__policy_pack_version
        response.diagnostics.append(proto.AnalyzeDiagnostic(
            policyName=policy.name,
            policyPackName=pack_name,
            policyPackVersion=pack_version,
            message=f"can't run policy '{policy.name}' from policy pack '{pack_name}@v{pack_version}' during "
                    f"preview: {e.message}",
            urn="",
            description=policy.description,
            enforcementLevel=self._map_enforcement_level(EnforcementLevel.ADVISORY),
        ))
    except _NotApplicableError as e:
        response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or ""))


class _JsonFormat:
    """`json_format` as pulumi_policy/policy.py sees it once installed: Structs (props, provider props, config)
    read by `struct_dict`, so that a NaN, an infinity or deep nesting never raises in the SDK's own methods
    (Remediate, Configure, and Analyze on an SDK this module does not replace)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)

    @staticmethod
    def MessageToDict(message: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(message, struct_pb2.Struct) and not args and not kwargs:
            return struct_dict(message)
        return json_format.MessageToDict(message, *args, **kwargs)


def install() -> bool:
    """Check config in `Configure` on any SDK; use `analyze` and `analyze_stack` in the SDK's servicer when the
    installed SDK is one they were checked against."""
    _PolicyAnalyzerServicer.Configure = configure  # type: ignore[method-assign]
    _PolicyAnalyzerServicer.ConfigureStack = configure_stack  # type: ignore[method-assign,assignment]
    sdk_policy.json_format = _JsonFormat()
    if VERSION not in CHECKED_SDK_VERSIONS:
        return False
    _PolicyAnalyzerServicer.Analyze = analyze  # type: ignore[method-assign]
    _PolicyAnalyzerServicer.AnalyzeStack = analyze_stack  # type: ignore[method-assign]
    return True
