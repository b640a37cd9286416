"""The Analyzer requests the engine sends, built once for the offline check, the fixture harness and the benchmark."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as apb

from .capture import Options
from .wire import Wire


class Resource(Protocol):
    """A resource as the engine knows it: inputs for Analyze and Remediate, outputs for AnalyzeStack."""

    @property
    def urn(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def parent(self) -> str: ...
    @property
    def provider_urn(self) -> str: ...
    @property
    def dependencies(self) -> Sequence[str]: ...
    @property
    def property_dependencies(self) -> Mapping[str, Sequence[str]]: ...
    @property
    def inputs(self) -> Mapping[str, Wire]: ...
    @property
    def outputs(self) -> Mapping[str, Wire]: ...
    @property
    def options(self) -> Options: ...


def struct(value: Mapping[str, Wire]) -> struct_pb2.Struct:
    """Props as a Struct; `__` keys are the SDK's internals, which the engine never sends."""
    result = struct_pb2.Struct()
    result.update({k: v for k, v in value.items() if not k.startswith("__")})
    return result


def options(resource: Resource) -> apb.AnalyzerResourceOptions:
    opts = resource.options
    timeouts = opts.custom_timeouts
    return apb.AnalyzerResourceOptions(
        protect=opts.protect,
        ignoreChanges=list(opts.ignore_changes),
        deleteBeforeReplace=opts.delete_before_replace,
        deleteBeforeReplaceDefined=opts.delete_before_replace_defined,
        additionalSecretOutputs=list(opts.additional_secret_outputs),
        aliases=list(opts.aliases),
        customTimeouts=apb.AnalyzerResourceOptions.CustomTimeouts(
            create=timeouts.get("create", 0.0), update=timeouts.get("update", 0.0), delete=timeouts.get("delete", 0.0)
        ),
        parent=resource.parent,
    )


def provider(resource: Resource, by_urn: Mapping[str, Resource]) -> apb.AnalyzerProviderResource | None:
    found = by_urn.get(resource.provider_urn)
    if found is None:
        return None
    return apb.AnalyzerProviderResource(
        type=found.type, properties=struct(found.inputs), urn=found.urn, name=found.name
    )


def analyze_request(resource: Resource, by_urn: Mapping[str, Resource]) -> apb.AnalyzeRequest:
    """What Analyze and Remediate of one resource receive."""
    return apb.AnalyzeRequest(
        type=resource.type,
        properties=struct(resource.inputs),
        urn=resource.urn,
        name=resource.name,
        options=options(resource),
        provider=provider(resource, by_urn),
    )


def stack_resource(resource: Resource, by_urn: Mapping[str, Resource]) -> apb.AnalyzerResource:
    return apb.AnalyzerResource(
        type=resource.type,
        properties=struct(resource.outputs),
        urn=resource.urn,
        name=resource.name,
        options=options(resource),
        provider=provider(resource, by_urn),
        parent=resource.parent,
        dependencies=list(resource.dependencies),
        propertyDependencies={
            key: apb.AnalyzerPropertyDependencies(urns=list(urns))
            for key, urns in resource.property_dependencies.items()
            if urns
        },
    )


def analyze_stack_request(resources: Iterable[Resource]) -> apb.AnalyzeStackRequest:
    """What AnalyzeStack receives: every resource with its outputs, parent and dependencies."""
    resources = list(resources)
    by_urn = {r.urn: r for r in resources}
    return apb.AnalyzeStackRequest(resources=[stack_resource(r, by_urn) for r in resources])
