"""Each mandatory policy, with each property it reads unknown at preview: still decided, or an explicit
not-applicable or advisory that names the property; never a silent pass (except where the catalogue says an
unknown counts as set). The guide documents every row."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from harness import expand, run_stack

from policypack import aws
from policypack.framework import EnforcementLevel
from policypack.registry import POLICIES

U = {"$unknown": True}
TAGS = {"Environment": "development", "Team": "payments", "CostCenter": "fintech"}
BY_NAME = {policy.name: policy for policy in POLICIES}
FIXTURES = Path(__file__).parent / "fixtures"
WILD = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", ' \
       '"Resource": "arn:aws:dynamodb:*:*:table/*"}]}'


def res(resource_type: str, logical: str, **props: Any) -> dict[str, Any]:
    return {"type": resource_type, "name": logical, "props": props}


def fn(logical: str = "fn", **props: Any) -> dict[str, Any]:
    return res(aws.FUNCTION, logical, **{"name": f"{logical}-dev", "tags": TAGS, **props})


def pcc(qualifier: Any, amount: Any = 5, deps: dict[str, list[str]] | None = None) -> dict[str, Any]:
    config = res(aws.PROVISIONED_CONCURRENCY, "pc", functionName=U, qualifier=qualifier,
                 provisionedConcurrentExecutions=amount)
    config["propertyDependencies"] = {"functionName": ["fn"], **(deps or {})}
    return config


def with_unknown(resources: list[dict[str, Any]], name: str, path: str) -> list[dict[str, Any]]:
    result = copy.deepcopy(resources)
    target = next(r for r in result if r["name"] == name)["props"]
    *parents, last = path.split(".")
    for step in parents:
        target = target[int(step)] if isinstance(target, list) else target[step]
    target[int(last) if isinstance(target, list) else last] = U
    return result


SEED_PC = [fn(), pcc(U, deps={"qualifier": ["fn"]})]
ALIAS_PC = [fn(), res(aws.ALIAS, "live", name="live", functionName=U, functionVersion=U), pcc("live")]
ALIAS_PC[1]["propertyDependencies"] = {"functionName": ["fn"], "functionVersion": ["fn"]}
OVER_RESERVED = [fn(publish=True, reservedConcurrentExecutions=5), pcc("7", amount=10)]
TWELVE = [fn(f"f{i}", reservedConcurrentExecutions=90) for i in range(12)]
ROLE = res(aws.ROLE, "role", name="role-dev", tags=TAGS, inlinePolicies=[{"name": "data", "policy": WILD}])

# (policy, bad resources, resource made partly unknown, property path, expected outcome, word the outcome names)
ROWS: list[tuple[str, list[dict[str, Any]], str, str, str, str]] = [
    ("lambda-provisioned-concurrency-disallow-unpublished", [fn(), pcc("$LATEST")], "pc", "qualifier",
     "not_applicable", "qualifier"),
    ("lambda-provisioned-concurrency-require-published-version", SEED_PC, "pc", "qualifier", "violation", ""),
    ("lambda-provisioned-concurrency-require-published-version", ALIAS_PC, "live", "functionVersion", "violation", ""),
    ("lambda-provisioned-concurrency-require-published-version", SEED_PC, "fn", "publish", "not_applicable",
     "publish"),
    ("lambda-reserved-concurrency-restrict-per-function", [fn(reservedConcurrentExecutions=100)], "fn",
     "reservedConcurrentExecutions", "not_applicable", "reservedConcurrentExecutions"),
    ("lambda-reserved-concurrency-restrict-account-total", TWELVE, "f0", "reservedConcurrentExecutions", "violation",
     ""),
    ("lambda-reserved-concurrency-restrict-account-total", [fn(reservedConcurrentExecutions=1000)], "fn",
     "reservedConcurrentExecutions", "not_applicable", "reservedConcurrentExecutions"),
    ("lambda-provisioned-concurrency-restrict-to-reserved", OVER_RESERVED, "pc", "provisionedConcurrentExecutions",
     "not_applicable", "provisionedConcurrentExecutions"),
    ("lambda-provisioned-concurrency-restrict-to-reserved", OVER_RESERVED, "fn", "reservedConcurrentExecutions",
     "not_applicable", "reservedConcurrentExecutions"),
    ("lambda-provisioned-concurrency-restrict-to-reserved", OVER_RESERVED, "pc", "functionName", "violation", ""),
    ("aws-resource-require-tags", [fn(tags={"Team": "payments"})], "fn", "tags", "not_applicable", "tags"),
    ("aws-environment-tag-match-stack", [fn(tags={**TAGS, "Environment": "production"})], "fn", "tags.Environment",
     "not_applicable", "Environment"),
    ("aws-environment-tag-match-stack", [fn(tags={**TAGS, "Environment": "production"})], "fn", "tags",
     "not_applicable", "Environment"),
    ("iam-policy-disallow-wildcard-resources", [res(aws.ROLE_POLICY, "rp", name="rp-dev", role="r", policy=WILD)],
     "rp", "policy", "advisory", "policy"),
    ("iam-policy-disallow-wildcard-resources", [ROLE], "role", "inlinePolicies.0.policy", "advisory",
     "inlinePolicies"),
    ("iam-policy-disallow-wildcard-actions", [res(aws.POLICY, "pol", name="pol-dev", tags=TAGS,
                                                  policy=WILD.replace("dynamodb:GetItem", "dynamodb:*"))],
     "pol", "policy", "advisory", "policy"),
    ("lambda-function-require-cmk-encryption", [fn(environment={"variables": {"TABLE": "t"}})], "fn", "kmsKeyArn",
     "pass", ""),
    ("lambda-function-require-cmk-encryption", [fn(environment={"variables": {"TABLE": "t"}})], "fn",
     "environment.variables", "not_applicable", "environment.variables"),
    ("kms-key-enable-rotation", [res(aws.KMS_KEY, "key", tags=TAGS, enableKeyRotation=False)], "key",
     "enableKeyRotation", "not_applicable", "enableKeyRotation"),
    ("kms-key-enable-rotation", [res(aws.KMS_KEY, "key", tags=TAGS, enableKeyRotation=False)], "key", "keyUsage",
     "not_applicable", "keyUsage"),
    ("kms-key-enable-rotation", [res(aws.KMS_KEY, "key", tags=TAGS, enableKeyRotation=True,
                                     deletionWindowInDays=40)], "key", "deletionWindowInDays", "not_applicable",
     "deletionWindowInDays"),
    ("lambda-function-disallow-plaintext-secrets", [fn(environment={"variables": {"API_KEY": "sk-live-1234"}})], "fn",
     "environment.variables.API_KEY", "pass", ""),
    ("lambda-function-disallow-plaintext-secrets", [fn(environment={"variables": {"API_KEY": "sk-live-1234"}})], "fn",
     "environment.variables", "not_applicable", "environment.variables"),
    ("aws-resource-name-restrict-suffix-format", [fn(name="transaction-processor")], "fn", "name", "not_applicable",
     "name"),
    ("aws-resource-name-restrict-length-and-charset", [fn(name="f" * 65)], "fn", "name", "not_applicable", "name"),
    ("cloudwatch-log-group-configure-retention", [res(aws.LOG_GROUP, "logs", name="/aws/lambda/fn-dev", tags=TAGS,
                                                      retentionInDays=0)], "logs", "retentionInDays",
     "not_applicable", "retentionInDays"),
    ("lambda-permission-disallow-public-invocation", [res(aws.PERMISSION, "perm", function="fn-dev", principal="*")],
     "perm", "principal", "not_applicable", "principal"),
    ("lambda-permission-disallow-public-invocation", [res(aws.PERMISSION, "perm", function="fn-dev",
                                                          principal="events.amazonaws.com", sourceArn="")],
     "perm", "sourceArn", "pass", ""),
    ("lambda-function-url-require-iam-auth", [res(aws.FUNCTION_URL, "url", functionName="fn-dev",
                                                  authorizationType="NONE")], "url", "authorizationType",
     "not_applicable", "authorizationType"),
    ("lambda-function-disallow-blocked-runtime", [fn(runtime="python3.6")], "fn", "runtime", "not_applicable",
     "runtime"),
    ("lambda-function-restrict-environment", [fn(runtime="python3.13", handler="h.h",
                                                 environment={"variables": {"AWS_REGION": "eu-west-1"}})],
     "fn", "environment.variables", "not_applicable", "environment.variables"),
    ("lambda-event-source-mapping-restrict-sqs-visibility-timeout",
     [fn(timeout=60), res(aws.QUEUE, "jobs", name="jobs-dev", tags=TAGS, visibilityTimeoutSeconds=30),
      res(aws.EVENT_SOURCE_MAPPING, "map", functionName="fn-dev",
          eventSourceArn="arn:aws:sqs:us-east-1:123456789012:jobs-dev")],
     "jobs", "visibilityTimeoutSeconds", "not_applicable", "visibilityTimeoutSeconds"),
    ("iam-role-disallow-admin-managed-policies", [res(aws.ROLE_POLICY_ATTACHMENT, "admin", role="r",
                                                      policyArn="arn:aws:iam::aws:policy/AdministratorAccess")],
     "admin", "policyArn", "not_applicable", "policyArn"),
    ("iam-role-restrict-trust-policy", [res(aws.ROLE, "role", name="role-dev", tags=TAGS, assumeRolePolicy=(
        '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}'))],
     "role", "assumeRolePolicy", "advisory", "assumeRolePolicy"),
]


def fixture_rows() -> list[tuple[str, list[dict[str, Any]], str, str, str, str]]:
    """Rows kept beside a policy's fixtures: `tests/fixtures/<policy>/unknown/*.json` names a bad fixture, the
    resource and property made unknown, the outcome and the word the outcome names (see tests/fixtures/README.md)."""
    rows = []
    for path in sorted(FIXTURES.glob("*/unknown/*.json")):
        row = json.loads(path.read_text(encoding="utf-8"))
        fixture = json.loads((path.parent.parent / row["fixture"]).read_text(encoding="utf-8"))
        rows.append((path.parent.parent.name, expand(fixture)["resources"], row["resource"], row["property"],
                     row["expect"], row.get("names", "")))
    return rows


ROWS += fixture_rows()
STACK_CONFIG = {"fixture:environmentSuffix": "dev"}


def outcome_of(policy: str, resources: list[dict[str, Any]]) -> tuple[list[Any], list[str]]:
    outcome = run_stack(resources, stack_config=STACK_CONFIG)
    return outcome.of(policy), [reason for name, _, reason in outcome.not_applicable if name == policy]


@pytest.mark.parametrize(("policy", "resources", "target", "path", "expected", "names"), ROWS,
                         ids=[f"{row[0]}:{row[2]}.{row[3]}" for row in ROWS])
def test_unknown_property_is_never_a_silent_pass(policy: str, resources: list[dict[str, Any]], target: str,
                                                 path: str, expected: str, names: str) -> None:
    known, _ = outcome_of(policy, resources)
    assert [d.level for d in known] and all(d.level == "mandatory" for d in known), "the row must start failing"
    diagnostics, reasons = outcome_of(policy, with_unknown(resources, target, path))
    if expected == "violation":
        assert diagnostics and all(d.level == "mandatory" for d in diagnostics)
    elif expected == "advisory":
        assert diagnostics and all(d.level == "advisory" and names in d.message for d in diagnostics)
    elif expected == "not_applicable":
        assert not diagnostics and any(names in reason for reason in reasons), reasons
    else:
        assert expected == "pass" and not diagnostics


@pytest.mark.parametrize(("policy", "path"), sorted({(row[0], row[3]) for row in ROWS}))
def test_the_guide_documents_each_row(policy: str, path: str) -> None:
    documented = [prop for prop, _ in BY_NAME[policy].meta.guide.unknowns]  # type: ignore[union-attr]
    last = path.split(".")[-1] if not path[-1].isdigit() else path.split(".")[0]
    assert any(last in prop or prop.startswith(path.split(".")[0]) for prop in documented), documented


def test_every_mandatory_policy_has_a_row() -> None:
    mandatory = {p.name for p in POLICIES if p.meta.level == EnforcementLevel.MANDATORY}
    assert mandatory <= {row[0] for row in ROWS}
