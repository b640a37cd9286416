"""Every config key of every policy: wrong types and out-of-range values are refused by its JSON schema, through
the offline check's engine-equivalent reconcile; and the policies behave at the edges of each range."""

from __future__ import annotations

from typing import Any

import pytest
from harness import run_stack

from lambda_guardrails.offline import config as pconfig
from lambda_guardrails.offline.errors import CheckError
from policypack import aws
from policypack.registry import PACK_NAME, POLICIES

SCHEMAS = [pconfig.PolicySchema(p.name, p.meta.level.value, p.meta.schema_properties()) for p in POLICIES]
WRONG_TYPE: dict[str, Any] = {"integer": "12", "number": "0.5", "boolean": "yes", "array": "Team", "object": ["x"],
                              "string": 5}


def validate(policy: str, properties: dict[str, Any]) -> None:
    layer = {policy: pconfig.Entry(None, properties)}
    pconfig.validate(PACK_NAME, SCHEMAS, pconfig.reconcile(SCHEMAS, [layer]), "test")


def bad_values(schema: dict[str, Any]) -> list[Any]:
    values = [WRONG_TYPE[schema["type"]]]
    if "minimum" in schema:
        values.append(schema["minimum"] - 1)
    if "exclusiveMinimum" in schema:
        values.append(schema["exclusiveMinimum"])
    if "maximum" in schema:
        values.append(schema["maximum"] + 1)
    if schema["type"] == "array" and schema.get("items", {}).get("type") == "string":
        values.append([1.0])
    if schema["type"] == "object" and "additionalProperties" in schema:
        values.append({"Team": 1})
    return values


CASES = [(policy.name, key, value) for policy in POLICIES for key, schema in policy.meta.schema_properties().items()
         for value in bad_values(schema)]


@pytest.mark.parametrize(("policy", "key", "value"), CASES, ids=[f"{p}.{k}={v!r}" for p, k, v in CASES])
def test_schema_refuses_wrong_types_and_out_of_range_values(policy: str, key: str, value: Any) -> None:
    with pytest.raises(CheckError, match=rf"policy '{policy}' is invalid at key '{key}"):
        validate(policy, {key: value})


@pytest.mark.parametrize("policy", [p.name for p in POLICIES])
def test_defaults_pass_their_own_schema(policy: str) -> None:
    validate(policy, {})


@pytest.mark.parametrize("entry", [{"resource": "x"}, {"reason": "r"}, {"resource": "", "reason": "r"},
                                   {"resource": "x", "reason": "r", "expires": "next week"},
                                   {"resource": "x", "reason": "r", "owner": "me"}])
def test_malformed_exemptions_are_refused(entry: dict[str, Any]) -> None:
    with pytest.raises(CheckError, match="at key 'exemptions\\[0\\]"):
        validate("aws-resource-require-tags", {"exemptions": [entry]})


TAGS = {"Environment": "development", "Team": "t", "CostCenter": "c"}


def fn(**props: Any) -> dict[str, Any]:
    return {"type": aws.FUNCTION, "name": "fn", "props": {"name": "fn-dev", "tags": TAGS, **props}}


def log_group(days: Any) -> dict[str, Any]:
    return {"type": aws.LOG_GROUP, "name": "logs", "props": {"name": "/aws/lambda/fn-dev", "tags": TAGS,
                                                            "retentionInDays": days}}


# (policy, config at an edge of its range, resource just inside, resource just outside)
EDGES = [
    ("lambda-reserved-concurrency-restrict-per-function", {"maxFunctionShare": 1},
     fn(reservedConcurrentExecutions=900.0), fn(reservedConcurrentExecutions=901.0)),
    ("lambda-reserved-concurrency-restrict-per-function",
     {"accountConcurrencyLimit": 1, "minimumUnreservedConcurrency": 0, "maxFunctionShare": 1},
     fn(reservedConcurrentExecutions=1), fn(reservedConcurrentExecutions=2)),
    ("lambda-reserved-concurrency-restrict-account-total", {"reservedElsewhere": 899},
     fn(reservedConcurrentExecutions=1), fn(reservedConcurrentExecutions=2)),
    ("lambda-function-restrict-memory-and-timeout", {"minMemoryMb": 128, "maxMemoryMb": 128},
     fn(memorySize=128, timeout=3), fn(memorySize=129, timeout=3)),
    ("lambda-function-restrict-memory-and-timeout", {"maxTimeoutSeconds": 1},
     fn(memorySize=1024, timeout=1), fn(memorySize=1024, timeout=2)),
    ("lambda-function-restrict-memory-and-timeout", {"maxTimeoutSeconds": 900},
     fn(memorySize=1024, timeout=900), fn(memorySize=1024, timeout=901)),
    ("cloudwatch-log-group-configure-retention", {"minRetentionDays": 1, "maxRetentionDays": 1},
     log_group(1), log_group(3)),
    ("cloudwatch-log-group-configure-retention", {"minRetentionDays": 3653, "maxRetentionDays": 3653},
     log_group(3653.0), log_group(3288)),
    ("aws-resource-name-restrict-suffix-format", {"maxSuffixLength": 3}, fn(name="fn-dev"), fn(name="fn-dev1")),
]


@pytest.mark.parametrize(("policy", "config", "inside", "outside"), EDGES,
                         ids=[f"{e[0]}:{sorted(e[1].items())}" for e in EDGES])
def test_policies_behave_at_the_edges_of_their_ranges(policy: str, config: dict[str, Any], inside: dict[str, Any],
                                                      outside: dict[str, Any]) -> None:
    validate(policy, config)
    suffix = {"fixture:environmentSuffix": "dev"}
    assert run_stack([inside], policy_config={policy: config}, stack_config=suffix).of(policy) == []
    longer = {"fixture:environmentSuffix": "dev1"} if policy.startswith("aws-resource-name") else suffix
    outcome = run_stack([outside], policy_config={policy: config}, stack_config=longer)
    assert [d.level for d in outcome.of(policy)], outcome.diagnostics
