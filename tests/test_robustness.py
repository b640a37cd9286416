"""Generated inputs through the real SDK path: no policy raises, fails closed, or leaks a secret, whatever arrives.

The default suite runs a few dozen examples per policy; `pytest -m slow` runs 2,000 per policy.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from harness import ARCHIVE_SIG, ASSET_SIG, SECRET_SIG, SIG, UNKNOWN, run_stack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policypack import aws
from policypack.registry import POLICIES

SECRET_MARK = "ZZSECRETZZ"
TYPES = sorted({t for policy in POLICIES for t in policy.meta.types} | {aws.PROVIDER, "aws:glue/job:Job"})
READ_KEYS = [
    "name", "tags", "qualifier", "functionName", "functionVersion", "provisionedConcurrentExecutions", "publish",
    "reservedConcurrentExecutions", "environment", "kmsKeyArn", "tracingConfig", "architectures", "memorySize",
    "timeout", "code", "loggingConfig", "retentionInDays", "enableKeyRotation", "deletionWindowInDays", "keyUsage",
    "customerMasterKeySpec", "keySpec", "policy", "inlinePolicies", "defaultTags", "role",
]

scalars = st.one_of(
    # The engine's JSON has neither NaN nor infinities.
    st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False), st.integers(-(2**53), 2**53).map(float),
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
