"""The AWS-aware mock's answers, without running a program."""

from __future__ import annotations

import json
import re

import pytest

from lambda_guardrails.offline import aws_mock
from lambda_guardrails.offline.wire import SECRET_SIG, SIG, UNKNOWN, downgrade_references

ENV = aws_mock.Env(region="eu-west-1")


def state(type_: str, inputs: dict, preview: bool, env: aws_mock.Env = ENV) -> tuple[str, dict]:
    return aws_mock.resource_state(type_, "logical", inputs, env, f"urn:{type_}", preview)


def test_autoname_is_logical_name_plus_seven_hex_and_deterministic() -> None:
    rule = aws_mock.AUTONAMES["aws:lambda/function:Function"]
    first = aws_mock.autoname(rule, "handler", {}, "urn:a")
    assert first is not None and re.fullmatch(r"handler-[0-9a-f]{7}", first)
    assert aws_mock.autoname(rule, "handler", {}, "urn:a") == first
    assert aws_mock.autoname(rule, "handler", {}, "urn:b") != first


@pytest.mark.parametrize("given", [{"name": "explicit"}, {"namePrefix": "pre-"}])
def test_no_autoname_when_the_program_names_the_resource(given: dict) -> None:
    assert aws_mock.autoname(aws_mock.AUTONAMES["aws:iam/role:Role"], "role", given, "urn") is None


def test_autoname_special_cases() -> None:
    alias = aws_mock.autoname(aws_mock.AUTONAMES["aws:kms/alias:Alias"], "key-alias", {}, "urn")
    bucket = aws_mock.autoname(aws_mock.AUTONAMES["aws:s3/bucketV2:BucketV2"], "Assets", {}, "urn")
    queue = aws_mock.autoname(aws_mock.AUTONAMES["aws:sqs/queue:Queue"], "jobs", {"fifoQueue": True}, "urn")
    assert alias is not None and alias.startswith("alias/key-alias-")
    assert bucket is not None and bucket.startswith("assets-")
    assert queue is not None and queue.endswith(".fifo")


def test_function_outputs_are_unknown_in_preview_and_plausible_in_update() -> None:
    inputs = {"name": "fn-1", "publish": True, "memorySize": 256.0}
    preview_id, preview = state("aws:lambda/function:Function", inputs, preview=True)
    update_id, update = state("aws:lambda/function:Function", inputs, preview=False)
    assert preview_id == ""
    assert preview["arn"] == preview["version"] == preview["id"] == UNKNOWN
    assert preview["memorySize"] == 256.0 and preview["timeout"] == 3.0
    assert update_id == "fn-1"
    assert update["arn"] == "arn:aws:lambda:eu-west-1:123456789012:function:fn-1"
    assert update["version"] == "1"
    assert update["qualifiedArn"] == update["arn"] + ":1"
    assert state("aws:lambda/function:Function", {"name": "fn-2"}, preview=False)[1]["version"] == "$LATEST"


@pytest.mark.parametrize(
    ("type_", "inputs", "arn"),
    [
        (
            "aws:lambda/alias:Alias",
            {"name": "live", "functionName": "arn:aws:lambda:eu-west-1:123456789012:function:fn-1"},
            "arn:aws:lambda:eu-west-1:123456789012:function:fn-1:live",
        ),
        ("aws:iam/role:Role", {"name": "exec"}, "arn:aws:iam::123456789012:role/exec"),
        ("aws:iam/policy:Policy", {"name": "p", "path": "/app/"}, "arn:aws:iam::123456789012:policy/app/p"),
        ("aws:dynamodb/table:Table", {"name": "orders"}, "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"),
        (
            "aws:cloudwatch/logGroup:LogGroup",
            {"name": "/aws/lambda/fn"},
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fn",
        ),
        ("aws:sqs/queue:Queue", {"name": "jobs"}, "arn:aws:sqs:eu-west-1:123456789012:jobs"),
    ],
)
def test_arns_follow_aws_formats(type_: str, inputs: dict, arn: str) -> None:
    assert state(type_, inputs, preview=False)[1]["arn"] == arn


def test_kms_key_arn_holds_a_uuid_key_id() -> None:
    key_id, outputs = state("aws:kms/key:Key", {}, preview=False)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key_id)
    assert outputs["arn"] == f"arn:aws:kms:eu-west-1:123456789012:key/{key_id}"
    assert outputs["keyUsage"] == "ENCRYPT_DECRYPT"


def test_partition_follows_the_region() -> None:
    china = aws_mock.Env(region="cn-north-1")
    assert state("aws:dynamodb/table:Table", {"name": "t"}, False, china)[1]["arn"].startswith("arn:aws-cn:")


def test_name_prefix_gives_a_computed_name() -> None:
    assert state("aws:sqs/queue:Queue", {"namePrefix": "jobs-"}, preview=True)[1]["name"] == UNKNOWN
    assert state("aws:sqs/queue:Queue", {"namePrefix": "jobs-"}, preview=False)[1]["name"].startswith("jobs-2025")


@pytest.mark.parametrize("default_tags", ['{"tags":{"Team":"a","Env":"x"}}', {"tags": {"Team": "a", "Env": "x"}}])
def test_tags_all_merges_provider_default_tags(default_tags: object) -> None:
    env = aws_mock.Env(default_tags=aws_mock.provider_default_tags({"defaultTags": default_tags}))
    outputs = state("aws:kms/key:Key", {"tags": {"Env": "y"}}, preview=True, env=env)[1]
    assert outputs["tagsAll"] == {"Team": "a", "Env": "y"}
    assert state("aws:kms/key:Key", {"tags": UNKNOWN}, preview=True, env=env)[1]["tagsAll"] == UNKNOWN


def test_provider_state_is_its_inputs() -> None:
    inputs = {"region": "us-west-2"}
    assert state("pulumi:providers:aws", inputs, preview=True) == ("", inputs)


def test_references_downgrade_to_id_or_urn() -> None:
    ref = "5cf8f73096256a8f31e491e813e4eb8e"
    value = {
        "custom": {SIG: ref, "urn": "urn:a", "id": "i-1"},
        "pending": {SIG: ref, "urn": "urn:b", "id": ""},
        "component": [{SIG: ref, "urn": "urn:c"}],
        "secret": {SIG: SECRET_SIG, "value": "s"},
    }
    assert downgrade_references(value) == {
        "custom": "i-1",
        "pending": UNKNOWN,
        "component": ["urn:c"],
        "secret": {SIG: SECRET_SIG, "value": "s"},
    }


# --- invokes --------------------------------------------------------------------------------------------------


def test_identity_region_and_partition() -> None:
    identity = aws_mock.answer_invoke("aws:index/getCallerIdentity:getCallerIdentity", {}, ENV)
    region = aws_mock.answer_invoke("aws:index/getRegion:getRegion", {}, ENV)
    partition = aws_mock.answer_invoke("aws:index/getPartition:getPartition", {}, ENV)
    assert identity is not None and identity["accountId"] == "123456789012"
    assert region is not None and region["name"] == region["region"] == region["id"] == "eu-west-1"
    assert partition == {
        "dnsSuffix": "amazonaws.com",
        "id": "aws",
        "partition": "aws",
        "reverseDnsPrefix": "com.amazonaws",
    }


def test_unknown_invoke_has_no_answer() -> None:
    assert aws_mock.answer_invoke("aws:ec2/getAmi:getAmi", {}, ENV) is None


def test_invoke_with_unknown_arguments_answers_unknown() -> None:
    args = {"statements": [{"actions": ["s3:GetObject"], "resources": [UNKNOWN]}]}
    result = aws_mock.answer_invoke("aws:iam/getPolicyDocument:getPolicyDocument", args, ENV)
    assert result is not None and result["json"] == UNKNOWN


def render(args: dict) -> dict:
    result = aws_mock.answer_invoke("aws:iam/getPolicyDocument:getPolicyDocument", args, ENV)
    assert result is not None
    assert json.loads(result["json"]) == json.loads(result["minifiedJson"])
    return json.loads(result["json"])


def test_policy_document_collapses_single_values_and_reverse_sorts_lists() -> None:
    document = render(
        {
            "statements": [
                {"actions": ["dynamodb:GetItem"], "resources": ["arn:aws:dynamodb:eu-west-1:1:table/a"]},
                {"sid": "Two", "effect": "Deny", "actions": ["s3:GetObject", "s3:PutObject", "s3:GetObject"]},
            ]
        }
    )
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:eu-west-1:1:table/a"},
            {"Sid": "Two", "Effect": "Deny", "Action": ["s3:PutObject", "s3:GetObject"]},
        ],
    }


def test_policy_document_principals_and_conditions() -> None:
    document = render(
        {
            "statements": [
                {
                    "actions": ["sts:AssumeRole"],
                    "principals": [{"type": "Service", "identifiers": ["lambda.amazonaws.com"]}],
                    "conditions": [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["1", "2"]}],
                },
                {"actions": ["s3:GetObject"], "principals": [{"type": "*", "identifiers": ["*"]}]},
            ]
        }
    )
    first, second = document["Statement"]
    assert first["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert first["Condition"] == {"StringEquals": {"aws:SourceAccount": ["2", "1"]}}
    assert second["Principal"] == "*"
    assert list(first) == ["Effect", "Action", "Principal", "Condition"]


def test_policy_document_pretty_json_is_the_providers() -> None:
    result = aws_mock.answer_invoke(
        "aws:iam/getPolicyDocument:getPolicyDocument", {"statements": [{"actions": ["a:B"], "resources": ["*"]}]}, ENV
    )
    assert result is not None
    assert result["json"] == (
        '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n'
        '      "Action": "a:B",\n      "Resource": "*"\n    }\n  ]\n}'
    )
    assert (
        result["minifiedJson"]
        == '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:B","Resource":"*"}]}'
    )
    assert result["id"].isdigit()


def test_policy_document_merges_source_and_override_documents_by_sid() -> None:
    source = json.dumps({"Statement": [{"Sid": "Keep", "Effect": "Allow", "Action": "a:A", "Resource": "*"}]})
    override = json.dumps({"Statement": [{"Sid": "Mine", "Effect": "Deny", "Action": "c:C", "Resource": "*"}]})
    document = render(
        {
            "sourcePolicyDocuments": [source],
            "overridePolicyDocuments": [override],
            "statements": [{"sid": "Mine", "actions": ["b:B"], "resources": ["*"]}],
        }
    )
    assert [(s["Sid"], s["Action"]) for s in document["Statement"]] == [("Keep", "a:A"), ("Mine", "c:C")]


def test_go_json_escapes_html_characters() -> None:
    assert aws_mock.go_json({"a": "<&>"}, indent=False) == '{"a":"\\u003c\\u0026\\u003e"}'
