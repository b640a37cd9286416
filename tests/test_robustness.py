"""Generated inputs through the real SDK path: no policy raises, fails closed, or leaks a secret, whatever arrives.

The default suite runs a few dozen examples per policy; `pytest -m slow` runs 2,000 per policy.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import pytest
from google.protobuf import json_format
from harness import (
    ARCHIVE_SIG,
    ASSET_SIG,
    SECRET_SIG,
    SIG,
    UNKNOWN,
    build_servicer,
    configure,
    pulumi_environment,
    run_stack,
    to_struct,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.runtime.proto import analyzer_pb2 as apb

from policypack import aws
from policypack.registry import POLICIES
from policypack.values import describe, struct_dict

SECRET_MARK = "ZZSECRETZZ"
TYPES = sorted({t for policy in POLICIES for t in policy.meta.types} | {aws.PROVIDER, "aws:glue/job:Job"})
READ_KEYS = [
    "name", "tags", "qualifier", "functionName", "functionVersion", "provisionedConcurrentExecutions", "publish",
    "reservedConcurrentExecutions", "environment", "kmsKeyArn", "tracingConfig", "architectures", "memorySize",
    "timeout", "code", "loggingConfig", "retentionInDays", "enableKeyRotation", "deletionWindowInDays", "keyUsage",
    "customerMasterKeySpec", "keySpec", "policy", "inlinePolicies", "defaultTags", "role",
]

scalars = st.one_of(
    # A Struct carries NaN and infinities (a Node.js or Go program can send them): no policy may raise on them.
    st.none(), st.booleans(), st.floats(), st.integers(-(2**53), 2**53).map(float),
    st.text(max_size=30), st.text(min_size=2000, max_size=5000, alphabet="ab*?:/-"),
    st.sampled_from(["$LATEST", "$LATEST.PUBLISHED", "*", "arn:aws:dynamodb:*:*:table/*", "Allow", "production",
                     "alias/aws/lambda", "ENCRYPT_DECRYPT", "RSA_2048", "Active", "arm64", "", "-1", "1e309"]),
    st.just(UNKNOWN),
)


def wrap(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from([*READ_KEYS, "variables", "mode", "tags", "Statement", "Action", "Resource",
                                         "Effect", "NotAction", "Sid", "x"]), children, max_size=5),
        children.map(lambda v: {SIG: SECRET_SIG, "value": v}),
    )


values = st.recursive(scalars, wrap, max_leaves=25)
assets = st.sampled_from([
    {SIG: ASSET_SIG, "text": "exports.handler = async () => 1;"},
    {SIG: ARCHIVE_SIG, "assets": {"index.js": {SIG: ASSET_SIG, "text": "placeholder"}}},
    {SIG: ARCHIVE_SIG, "path": "./app"},
    {SIG: ARCHIVE_SIG, "assets": {}},
])
statements = st.fixed_dictionaries({}, optional={
    "Effect": st.sampled_from(["Allow", "Deny", "allow", 1.0, None]),
    "Action": values, "Resource": values, "NotAction": values, "NotResource": values, "Sid": values,
    "Condition": values,
})
documents = st.one_of(
    st.builds(lambda s: json.dumps({"Version": "2012-10-17", "Statement": s}),
              st.one_of(statements, st.lists(statements, max_size=5))),
    st.builds(lambda s: {"Version": "2012-10-17", "Statement": s}, st.lists(statements, max_size=5)),
    st.builds(lambda n: "[" * n + "]" * n, st.integers(1, 3000)),
    st.builds(lambda n: json.dumps({"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"] * n,
                                                   "Resource": ["arn:aws:s3:::b/*"] * n}]}), st.integers(0, 3000)),
    st.text(max_size=50), values,
)
props = st.fixed_dictionaries({}, optional={
    **dict.fromkeys(READ_KEYS, values),
    "policy": documents,
    "code": st.one_of(assets, values),
    "environment": st.one_of(values, st.fixed_dictionaries({"variables": st.dictionaries(
        st.sampled_from(["API_KEY", "DB_PASSWORD", "TOKEN", "URL", "PLAIN", "x" * 300]),
        st.one_of(values, st.just({SIG: SECRET_SIG, "value": SECRET_MARK}),
                  st.just(f"postgres://u:{SECRET_MARK}@db/x")), max_size=4)})),
    "inlinePolicies": st.one_of(values, st.lists(st.fixed_dictionaries({"name": values, "policy": documents}),
                                                 max_size=3)),
})


def only(policy_name: str) -> dict[str, Any]:
    return {p.name: {"enforcementLevel": "disabled"} for p in POLICIES if p.name != policy_name}


def exercise(policy_name: str, resource_type: str, resource_props: dict[str, Any], dry_run: bool) -> None:
    resources = [
        {"type": aws.PROVIDER, "name": "provider", "props": {"defaultTags": resource_props.get("defaultTags")}},
        {"type": resource_type, "name": "subject", "props": resource_props, "provider": "provider",
         "propertyDependencies": {"qualifier": ["subject", "dangling"], "functionName": ["provider"]}},
    ]
    outcome = run_stack(resources, dry_run=dry_run, policy_config=only(policy_name),
                        stack_config={"p:environmentSuffix": "dev"})
    for diagnostic in outcome.diagnostics:
        assert "could not evaluate" not in diagnostic.message, diagnostic.message
        assert SECRET_MARK not in diagnostic.message
    assert not any(SECRET_MARK in reason for _, _, reason in outcome.not_applicable)


def fuzz(policy_name: str, examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(resource_type=st.sampled_from(TYPES), resource_props=props, dry_run=st.booleans())
    def run(resource_type: str, resource_props: dict[str, Any], dry_run: bool) -> None:
        exercise(policy_name, resource_type, resource_props, dry_run)

    run()


@pytest.mark.parametrize("policy_name", [p.name for p in POLICIES])
def test_generated_inputs_never_break_a_policy(policy_name: str) -> None:
    fuzz(policy_name, 40)


@pytest.mark.slow
@pytest.mark.parametrize("policy_name", [p.name for p in POLICIES])
def test_generated_inputs_never_break_a_policy_thoroughly(policy_name: str) -> None:
    fuzz(policy_name, 2000)


def nested(depth: int, leaf: Any) -> Any:
    for level in range(depth):
        leaf = {"Statement": [leaf]} if level % 2 else [leaf]
    return leaf


def deep_request(depth: int, dry_run: bool = True) -> tuple[Any, Any]:
    """A Function whose tags, environment and unknown key nest `depth` levels, parsed as gRPC parses it."""
    servicer = build_servicer()
    configure(servicer, {})
    props = {"name": "fn-dev", "tags": {"Team": nested(depth, "t")}, "environment": {"variables": nested(depth, "x")},
             "x": nested(depth, 1.0)}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20 * depth))  # only to build the message; the pack runs at the default limit
    try:
        wire = apb.AnalyzeRequest(type=aws.FUNCTION, properties=to_struct(props), urn=URN, name="fn")
        request = apb.AnalyzeRequest.FromString(wire.SerializeToString())
    finally:
        sys.setrecursionlimit(limit)
    return servicer, request


URN = "urn:pulumi:dev::fixture::aws:lambda/function:Function::fn"


@pytest.mark.parametrize("depth", [40, 70, 200, 500])
def test_no_depth_of_nesting_makes_a_policy_raise(depth: int) -> None:
    servicer, request = deep_request(depth)
    with pulumi_environment("dev", {}, dry_run=False):
        analyzed = servicer.Analyze(request, None)
        remediated = servicer.Remediate(request, None)
        stack = servicer.AnalyzeStack(apb.AnalyzeStackRequest(resources=[apb.AnalyzerResource(
            type=request.type, properties=request.properties, urn=URN, name="fn")]), None)
    for diagnostic in [*analyzed.diagnostics, *stack.diagnostics]:
        assert "could not evaluate" not in diagnostic.message, diagnostic.message
    assert not remediated.remediations
    notes = [(n.policy_name, n.reason) for n in analyzed.not_applicable if "nested deeper" in n.reason]
    if depth < 60:
        assert notes == []
    else:
        # Each policy without a finding says so once, naming every property it could not read.
        expected = "; ".join(f"cannot read {key}: it is nested deeper than 64 levels" for key in ("environment", "tags",
                                                                                                 "x"))
        assert len(notes) >= 3 and {reason for _, reason in notes} == {expected}, notes


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinities_are_judged_as_invalid_numbers(value: float) -> None:
    props = {"name": "fn-dev", "timeout": value, "memorySize": value, "reservedConcurrentExecutions": value}
    outcome = run_stack([{"type": aws.FUNCTION, "name": "fn", "props": props}], dry_run=False)
    judged = [(d.policy, d.level) for d in outcome.diagnostics if "is " + describe(value) in d.message]
    assert judged == [("lambda-reserved-concurrency-restrict-per-function", "mandatory"),
                      ("lambda-function-restrict-memory-and-timeout", "advisory"),
                      ("lambda-function-restrict-memory-and-timeout", "advisory")]


@given(st.recursive(st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
                              st.text(max_size=5)),
                    lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.text(max_size=3), c, max_size=3)),
                    max_leaves=20))
@settings(max_examples=200, deadline=None, database=None)
def test_struct_dict_reads_what_message_to_dict_reads(value: Any) -> None:
    struct = to_struct({"v": value})
    assert struct_dict(struct) == json_format.MessageToDict(struct)
