"""Smoke test: the seed's flawed TapStack translation runs under mocks and keeps the flaws the pack must catch."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def only(result: dict[str, Any], type_: str) -> dict[str, Any]:
    [resource] = [r for r in result["resources"] if r["type"] == type_]
    return resource


@pytest.fixture(scope="module")
def seed(run: Callable[..., dict[str, Any]], seed_config: Callable[[str], dict[str, str]]) -> dict[str, Any]:
    result = run("seed", "dev", seed_config("dev"))
    assert result["returncode"] == 0, result.get("error", {}).get("traceback") or result["stderr"]
    return result


def test_seed_registers_its_resources_under_the_component(seed: dict[str, Any]) -> None:
    component = only(seed, "tap:stack:TapStack")
    assert sorted((r["type"], r["name"]) for r in seed["resources"] if r is not component) == [
        ("aws:cloudwatch/logGroup:LogGroup", "lambda-log-group-dev"),
        ("aws:iam/role:Role", "lambda-transaction-role-dev"),
        ("aws:iam/rolePolicy:RolePolicy", "lambda-dynamodb-policy-dev"),
        ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "lambda-basic-execution-dev"),
        ("aws:lambda/function:Function", "transaction-processor-dev"),
        ("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig", "lambda-provisioned-concurrency-dev"),
    ]
    assert all(r["parent"] == component["urn"] for r in seed["resources"] if r is not component)
    assert sorted(seed["outputs"]) == ["iamRoleArn", "lambdaFunctionArn", "lambdaFunctionName", "logGroupName"]


def test_seed_keeps_its_flaws(seed: dict[str, Any]) -> None:
    fn = only(seed, "aws:lambda/function:Function")["inputs"]
    assert fn["reservedConcurrentExecutions"] == 100.0
    assert "publish" not in fn and "kmsKeyArn" not in fn
    assert fn["environment"]["variables"] == {
        "DATABASE_URL": "placeholder-database-url",
        "API_KEY": "placeholder-api-key",
    }
    assert "index.js" in fn["code"]["assets"]
    assert (fn["runtime"], fn["architectures"], fn["memorySize"], fn["timeout"]) == (
        "nodejs20.x",
        ["arm64"],
        1024.0,
        30.0,
    )
    provisioned = only(seed, "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")["inputs"]
    assert provisioned["qualifier"] == "$LATEST"
    assert provisioned["provisionedConcurrentExecutions"] == 5.0
    policy = json.loads(only(seed, "aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"])
    assert policy["Statement"][0]["Resource"] == "arn:aws:dynamodb:*:*:table/*"
    for resource in seed["resources"]:
        if "tags" in resource["inputs"]:
            assert resource["inputs"]["tags"]["Environment"] == "production"


def test_seed_qualifier_is_unknown_in_preview(
    run: Callable[..., dict[str, Any]], seed_config: Callable[[str], dict[str, str]]
) -> None:
    result = run("seed", "dev", seed_config("dev"), preview=True)
    assert result["returncode"] == 0, result["stderr"]
    provisioned = only(result, "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
    assert provisioned["inputs"]["qualifier"] == UNKNOWN
    function_urn = only(result, "aws:lambda/function:Function")["urn"]
    assert provisioned["propertyDependencies"]["qualifier"] == [function_urn]
