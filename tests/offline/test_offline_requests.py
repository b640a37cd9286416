"""The Analyzer requests the offline check sends, from the builder the fixture harness and the benchmark share."""

from __future__ import annotations

import dataclasses
from typing import Any

from google.protobuf import json_format

from lambda_guardrails.offline import requests
from lambda_guardrails.offline.capture import CapturedResource
from lambda_guardrails.offline.requests import Options

PREFIX = "urn:pulumi:dev::app::"
ROOT = f"{PREFIX}pulumi:pulumi:Stack::app-dev"
PROVIDER = f"{PREFIX}pulumi:providers:aws::west"
FUNCTION = f"{PREFIX}aws:lambda/function:Function::fn"


def resource(urn: str, type_: str, **fields: Any) -> CapturedResource:
    plain = CapturedResource(urn=urn, type=type_, name=urn.rsplit("::", 1)[1], custom=True, parent=ROOT, provider="",
                             dependencies=(), property_dependencies={}, inputs={}, outputs={}, id="")
    return dataclasses.replace(plain, **fields)


PROVIDER_RESOURCE = resource(PROVIDER, "pulumi:providers:aws", inputs={"region": "us-west-2"})
FN = resource(
    FUNCTION, "aws:lambda/function:Function", provider=f"{PROVIDER}::id-1",
    inputs={"timeout": 30, "__defaults": ["x"]}, outputs={"timeout": 30, "arn": "arn:fn"},
    dependencies=(PROVIDER,), property_dependencies={"role": (PROVIDER,), "timeout": ()},
    options=Options(protect=True, ignore_changes=("tags",), custom_timeouts={"create": 60.0}))
BY_URN = {r.urn: r for r in (PROVIDER_RESOURCE, FN)}


def test_analyze_sends_inputs_options_and_the_provider_with_its_inputs() -> None:
    request = requests.analyze_request(FN, BY_URN)
    assert (request.type, request.urn, request.name) == (FN.type, FUNCTION, "fn")
    assert json_format.MessageToDict(request.properties) == {"timeout": 30.0}
    assert (request.options.parent, request.options.protect, list(request.options.ignoreChanges)) == (
        ROOT, True, ["tags"])
    assert (request.options.customTimeouts.create, request.options.customTimeouts.delete) == (60.0, 0.0)
    assert (request.provider.urn, request.provider.name, request.provider.type) == (
        PROVIDER, "west", "pulumi:providers:aws")
    assert json_format.MessageToDict(request.provider.properties) == {"region": "us-west-2"}


def test_a_provider_outside_the_stack_is_not_sent() -> None:
    assert not requests.analyze_request(FN, {}).HasField("provider")


def test_analyze_stack_sends_outputs_parent_and_dependencies() -> None:
    (_, entry) = requests.analyze_stack_request([PROVIDER_RESOURCE, FN]).resources
    assert json_format.MessageToDict(entry.properties) == {"timeout": 30.0, "arn": "arn:fn"}
    assert (entry.parent, list(entry.dependencies), entry.provider.urn) == (ROOT, [PROVIDER], PROVIDER)
    assert {k: list(v.urns) for k, v in entry.propertyDependencies.items()} == {"role": [PROVIDER]}
