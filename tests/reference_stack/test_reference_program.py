"""The reference program under Pulumi mocks, dev and prod, each in its own process.

Inputs are asserted in the wire form the policy pack receives (camelCase, numbers as floats).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
SIG = "4dabf18193072939515e22adb298388d"
ACCOUNT = "123456789012"
COMPONENT = "guardrails:lambda:TransactionProcessor"
FUNCTION = "aws:lambda/function:Function"
LAMBDA_ALIAS = "aws:lambda/alias:Alias"
PROVISIONED = "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KEY = "aws:kms/key:Key"
KMS_ALIAS = "aws:kms/alias:Alias"
TABLE = "aws:dynamodb/table:Table"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
API = "aws:apigatewayv2/api:Api"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
ROUTE = "aws:apigatewayv2/route:Route"
STAGE = "aws:apigatewayv2/stage:Stage"
PERMISSION = "aws:lambda/permission:Permission"
TAGGABLE = {FUNCTION, ROLE, KEY, TABLE, LOG_GROUP}
SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|PRIVATE", re.IGNORECASE)

EXPECTED = {
    "dev": {"suffix": "dev", "environment": "development", "reserved": 10, "provisioned": 2, "retention": 7},
    "prod": {"suffix": "prod", "environment": "production", "reserved": 50, "provisioned": 10, "retention": 30},
}


@pytest.fixture(scope="module", params=["dev", "prod"])
def deployed(
    request: pytest.FixtureRequest,
    run: Callable[..., dict[str, Any]],
    reference_config: Callable[[str], dict[str, str]],
) -> dict[str, Any]:
    stack = request.param
    result = run("reference", stack, reference_config(stack))
    assert result["returncode"] == 0, result.get("error", {}).get("traceback") or result["stderr"]
    return {**result, "expected": EXPECTED[stack]}


@pytest.fixture(scope="module")
def previewed(run: Callable[..., dict[str, Any]], reference_config: Callable[[str], dict[str, str]]) -> dict[str, Any]:
    result = run("reference", "dev", reference_config("dev"), preview=True)
    assert result["returncode"] == 0, result.get("error", {}).get("traceback") or result["stderr"]
    return result


def only(result: dict[str, Any], type_: str) -> dict[str, Any]:
    [resource] = [r for r in result["resources"] if r["type"] == type_]
    return resource


def by_name(result: dict[str, Any], type_: str, name_part: str) -> dict[str, Any]:
    [resource] = [r for r in result["resources"] if r["type"] == type_ and name_part in r["inputs"]["name"]]
    return resource


def statements(document: str) -> list[dict[str, Any]]:
    parsed = json.loads(document)
    assert parsed["Version"] == "2012-10-17"
    return parsed["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def assert_pack_acceptable_iam(document: str) -> None:
    """The rules of iam-policy-disallow-wildcard-resources/-actions, for the shapes this stack uses."""
    for statement in statements(document):
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        actions = as_list(statement["Action"])
        for action in actions:
            assert action != "*" and not action.endswith(":*"), action
        for resource in as_list(statement["Resource"]):
            if resource == "*":
                assert all(a.startswith("xray:Put") for a in actions), statement
                continue
            _, partition, service, region, account, name = resource.split(":", 5)
            for part in (partition, service, region, account):
                assert "*" not in part and "?" not in part, resource
            base = re.sub(r"(/index/\*|:\*)$", "", name)
            assert "*" not in base and "?" not in base, resource


def test_resources_and_parents(deployed: dict[str, Any]) -> None:
    types = sorted(r["type"] for r in deployed["resources"])
    assert types == sorted(
        [
            COMPONENT,
            FUNCTION,
            LAMBDA_ALIAS,
            PROVISIONED,
            ROLE,
            ROLE_POLICY,
            KEY,
            KMS_ALIAS,
            TABLE,
            LOG_GROUP,
            API,
            INTEGRATION,
            ROUTE,
            STAGE,
            PERMISSION,
        ]
    )
    component = only(deployed, COMPONENT)
    assert component["parent"].endswith("pulumi:pulumi:Stack::lambda-reference-" + deployed["stack"])
    for resource in deployed["resources"]:
        if resource["type"] != COMPONENT:
            assert resource["parent"] == component["urn"], resource["name"]


def test_function(deployed: dict[str, Any]) -> None:
    exp = deployed["expected"]
    fn = only(deployed, FUNCTION)
    inputs = fn["inputs"]
    assert inputs["name"] == f"transaction-processor-{exp['suffix']}"
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", inputs["name"])
    assert inputs["runtime"] == "python3.12"
    assert inputs["handler"] == "handler.handler"
    assert inputs["code"] == {SIG: ARCHIVE_SIG, "path": "app"}
    assert inputs["architectures"] == ["arm64"]
    assert inputs["memorySize"] == 1024.0
    assert inputs["timeout"] == 30.0
    assert inputs["tracingConfig"] == {"mode": "Active"}
    assert inputs["loggingConfig"] == {"logFormat": "JSON", "logGroup": f"/aws/lambda/{inputs['name']}"}
    assert inputs["publish"] is True
    assert inputs["reservedConcurrentExecutions"] == float(exp["reserved"])
    assert inputs["kmsKeyArn"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    variables = inputs["environment"]["variables"]
    assert variables["TABLE_NAME"] == f"transactions-{exp['suffix']}"
    assert variables["POWERTOOLS_SERVICE_NAME"] == "transaction-processor"
    assert variables["LOG_LEVEL"] == "INFO"
    for name in variables:
        assert not SECRET_NAME.search(name), name
    dependencies = set(fn["dependencies"])
    assert only(deployed, LOG_GROUP)["urn"] in dependencies
    for policy in (r for r in deployed["resources"] if r["type"] == ROLE_POLICY):
        assert policy["urn"] in dependencies


def test_alias_and_provisioned_concurrency_follow_the_published_version(deployed: dict[str, Any]) -> None:
    exp = deployed["expected"]
    fn, alias, provisioned = only(deployed, FUNCTION), only(deployed, LAMBDA_ALIAS), only(deployed, PROVISIONED)
    assert alias["inputs"]["name"] == "live"
    assert alias["inputs"]["functionName"] == fn["inputs"]["name"]
    assert alias["inputs"]["functionVersion"] == "1"
    assert alias["propertyDependencies"]["functionVersion"] == [fn["urn"]]
    assert provisioned["inputs"] == {
        "functionName": fn["inputs"]["name"],
        "qualifier": "live",
        "provisionedConcurrentExecutions": float(exp["provisioned"]),
    }
    assert alias["urn"] in provisioned["propertyDependencies"]["qualifier"]
    assert provisioned["inputs"]["provisionedConcurrentExecutions"] <= fn["inputs"]["reservedConcurrentExecutions"]


def test_tags_on_every_taggable_resource(deployed: dict[str, Any]) -> None:
    exp = deployed["expected"]
    tags = {"Environment": exp["environment"], "Team": "payments", "CostCenter": "fintech"}
    taggable = [r for r in deployed["resources"] if r["type"] in TAGGABLE]
    assert len(taggable) == 5
    for resource in taggable:
        assert resource["inputs"]["tags"] == tags, resource["name"]


def test_physical_names_carry_the_suffix_and_fit_aws_limits(deployed: dict[str, Any]) -> None:
    suffix = deployed["expected"]["suffix"]
    names = {
        (r["type"], r["inputs"]["name"])
        for r in deployed["resources"]
        if r["type"] in {FUNCTION, ROLE, ROLE_POLICY, LOG_GROUP, KMS_ALIAS, TABLE}
    }
    assert names == {
        (FUNCTION, f"transaction-processor-{suffix}"),
        (ROLE, f"transaction-processor-role-{suffix}"),
        (ROLE_POLICY, f"transaction-processor-data-{suffix}"),
        (LOG_GROUP, f"/aws/lambda/transaction-processor-{suffix}"),
        (KMS_ALIAS, f"alias/transaction-processor-{suffix}"),
        (TABLE, f"transactions-{suffix}"),
    }
    limits = {
        FUNCTION: r"[A-Za-z0-9_-]{1,64}",
        ROLE: r"[\w+=,.@-]{1,64}",
        ROLE_POLICY: r"[\w+=,.@-]{1,128}",
        LOG_GROUP: r"[.\-_/#A-Za-z0-9]{1,512}",
        KMS_ALIAS: r"alias/(?!aws/)[A-Za-z0-9/_-]{1,250}",
        TABLE: r"[A-Za-z0-9_.-]{3,255}",
    }
    for type_, name in names:
        assert re.fullmatch(limits[type_], name), name


def test_key_table_log_group_and_role(deployed: dict[str, Any]) -> None:
    exp = deployed["expected"]
    key = only(deployed, KEY)["inputs"]
    assert key["enableKeyRotation"] is True
    assert 7 <= key["deletionWindowInDays"] <= 30
    assert key["keyUsage"] == "ENCRYPT_DECRYPT"
    key_statements = statements(key["policy"])
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/transaction-processor-role-{exp['suffix']}"
    root = next(s for s in key_statements if s["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    assert "kms:PutKeyPolicy" in root["Action"] and "kms:ScheduleKeyDeletion" in root["Action"]
    assert any(s["Principal"] == {"AWS": role_arn} and s["Action"] == "kms:Decrypt" for s in key_statements)
    for statement in key_statements:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement
        assert all("*" not in action for action in as_list(statement["Action"]))
    assert only(deployed, ROLE)["urn"] in only(deployed, KEY)["dependencies"]

    kms_alias = only(deployed, KMS_ALIAS)["inputs"]
    assert kms_alias["name"] == f"alias/transaction-processor-{exp['suffix']}"

    table = only(deployed, TABLE)["inputs"]
    assert table["billingMode"] == "PAY_PER_REQUEST"
    assert table["hashKey"] == "transactionId"
    assert table["attributes"] == [{"name": "transactionId", "type": "S"}]
    assert table["pointInTimeRecovery"] == {"enabled": True}
    assert table["serverSideEncryption"]["enabled"] is True
    assert table["serverSideEncryption"]["kmsKeyArn"] == only(deployed, FUNCTION)["inputs"]["kmsKeyArn"]
    assert table["deletionProtectionEnabled"] is (exp["environment"] == "production")

    log_group = only(deployed, LOG_GROUP)["inputs"]
    assert log_group["retentionInDays"] == float(exp["retention"])
    assert log_group["kmsKeyId"] == only(deployed, FUNCTION)["inputs"]["kmsKeyArn"]

    role = only(deployed, ROLE)["inputs"]
    assert statements(role["assumeRolePolicy"]) == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    assert "inlinePolicies" not in role and "managedPolicyArns" not in role


def test_role_policies_are_least_privilege(deployed: dict[str, Any]) -> None:
    suffix = deployed["expected"]["suffix"]
    table_arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/transactions-{suffix}"
    log_arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/transaction-processor-{suffix}:*"
    data = by_name(deployed, ROLE_POLICY, "-data-")["inputs"]
    assert data["role"] == f"transaction-processor-role-{suffix}"
    assert [(s["Action"], s["Resource"]) for s in statements(data["policy"])] == [
        (
            ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"],
            [table_arn, f"{table_arn}/index/*"],
        ),
        (["logs:CreateLogStream", "logs:PutLogEvents"], log_arn),
        (["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*"),
    ]
    assert_pack_acceptable_iam(data["policy"])

    assert len([r for r in deployed["resources"] if r["type"] == ROLE_POLICY]) == 1


def test_only_the_apis_iam_authorized_route_may_invoke_the_alias(deployed: dict[str, Any]) -> None:
    suffix = deployed["expected"]["suffix"]
    api = only(deployed, API)["inputs"]
    route, permission = only(deployed, ROUTE)["inputs"], only(deployed, PERMISSION)["inputs"]
    assert api["protocolType"] == "HTTP" and api["name"] == f"transactions-{suffix}"
    assert route["routeKey"] == "POST /transactions" and route["authorizationType"] == "AWS_IAM"
    function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:transaction-processor-{suffix}"
    assert only(deployed, INTEGRATION)["inputs"]["integrationUri"] == f"{function_arn}:live"
    assert permission["principal"] == "apigateway.amazonaws.com" and permission["qualifier"] == "live"
    assert permission["function"] == f"transaction-processor-{suffix}"
    assert permission["sourceArn"] == (
        f"arn:aws:execute-api:us-east-1:{ACCOUNT}:transactions-{suffix}/*/POST/transactions")


def test_exports(deployed: dict[str, Any]) -> None:
    suffix = deployed["expected"]["suffix"]
    function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:transaction-processor-{suffix}"
    outputs = deployed["outputs"]
    assert outputs == {
        "functionName": f"transaction-processor-{suffix}",
        "functionArn": function_arn,
        "functionVersion": "1",
        "aliasName": "live",
        "aliasArn": f"{function_arn}:live",
        "logGroupName": f"/aws/lambda/transaction-processor-{suffix}",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/transaction-processor-role-{suffix}",
        "keyArn": only(deployed, FUNCTION)["inputs"]["kmsKeyArn"],
        "tableName": f"transactions-{suffix}",
    }


def test_preview_knows_every_checked_document_but_the_kms_grant(previewed: dict[str, Any]) -> None:
    data = by_name(previewed, ROLE_POLICY, "-data-")["inputs"]["policy"]
    assert UNKNOWN not in data
    assert_pack_acceptable_iam(data)
    key = only(previewed, KEY)["inputs"]
    assert UNKNOWN not in key["policy"]
    assert UNKNOWN not in only(previewed, ROLE)["inputs"]["assumeRolePolicy"]

    fn = only(previewed, FUNCTION)["inputs"]
    assert fn["kmsKeyArn"] == UNKNOWN
    assert fn["publish"] is True
    assert fn["loggingConfig"]["logGroup"] == "/aws/lambda/transaction-processor-dev"
    assert only(previewed, LAMBDA_ALIAS)["inputs"]["functionVersion"] == UNKNOWN
    assert only(previewed, PROVISIONED)["inputs"]["qualifier"] == "live"
    assert previewed["outputs"]["functionVersion"] == UNKNOWN
    assert previewed["outputs"]["functionName"] == "transaction-processor-dev"


@pytest.mark.parametrize(
    ("stack", "changes", "expected"),
    [
        ("dev", {"lambda-reference:environment": "production"}, "'production' on stack 'dev'"),
        ("prod", {"lambda-reference:environment": "development"}, "a production stack must use 'production'"),
        ("dev", {"lambda-reference:environmentSuffix": "Dev_1"}, "lambda-reference:environmentSuffix is 'Dev_1'"),
        ("dev", {"lambda-reference:reservedConcurrency": "100"}, "lambda-reference:reservedConcurrency is 100"),
    ],
)
def test_bad_config_stops_the_program_before_any_resource(
    run: Callable[..., dict[str, Any]],
    reference_config: Callable[[str], dict[str, str]],
    stack: str,
    changes: dict[str, str],
    expected: str,
) -> None:
    result = run("reference", stack, {**reference_config(stack), **changes})
    assert result["returncode"] == 2
    assert result["error"]["type"] == "ValueError"
    assert expected in result["error"]["message"]
    assert result["resources"] == []


def test_stack_files_hold_the_documented_keys(reference_config: Callable[[str], dict[str, str]]) -> None:
    for stack, exp in EXPECTED.items():
        config = reference_config(stack)
        assert config == {
            "aws:region": "us-east-1",
            "lambda-reference:environmentSuffix": exp["suffix"],
            "lambda-reference:environment": exp["environment"],
            "lambda-reference:team": "payments",
            "lambda-reference:costCenter": "fintech",
            "lambda-reference:reservedConcurrency": str(exp["reserved"]),
            "lambda-reference:provisionedConcurrency": str(exp["provisioned"]),
            "lambda-reference:logRetentionDays": str(exp["retention"]),
        }
