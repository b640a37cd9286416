"""Outputs and invoke results derived from the provider SDK's declared types, and the programs that need them."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from offline_support import PROGRAMS, REPO, capture, run_cli

from lambda_guardrails.offline import aws_mock, sdk_types
from lambda_guardrails.offline.aws_mock import Shape

ENV = aws_mock.Env(region="eu-west-1")
SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text())
KINDS = {"str": str, "number": float, "bool": bool, "list": list, "map": dict, "object": dict}
# Modules whose every resource type is created with no inputs and read back: the shapes programs use most.
MODULES = ("apigateway", "apigatewayv2", "appsync", "ecr", "ecs", "lb", "cloudfront", "rds", "ec2", "sfn")
GENERIC = ["aws:sns/getTopic:getTopic", "aws:ec2/getInstanceTypes:getInstanceTypes"]


def update_state(type_: str, inputs: dict[str, Any] | None = None, preview: bool = False) -> dict[str, Any]:
    shape = sdk_types.resource_outputs(type_)
    return aws_mock.resource_state(type_, "thing", inputs or {}, ENV, f"urn::{type_}::thing", preview, shape)[1]


def test_shapes_come_from_the_sdk_annotations() -> None:
    shape = sdk_types.resource_outputs("aws:apigateway/restApi:RestApi")
    assert shape["executionArn"] == Shape("str")
    assert shape["body"] == Shape("str", optional=True)
    assert shape["binaryMediaTypes"] == Shape("list", item=Shape("str"))
    assert shape["tagsAll"] == Shape("map", item=Shape("str"))
    assert shape["endpointConfiguration"].kind == "object"
    assert sdk_types.resource_outputs("aws:nosuch/thing:Thing") == {}
    assert sdk_types.resource_outputs("nosuchpackage:index:Thing") == {}
    result = sdk_types.invoke_result("aws:ec2/getAmi:getAmi")
    assert result["imageId"] == Shape("str") and result["blockDeviceMappings"].kind == "list"
    assert sdk_types.invoke_result("aws:ec2/getNoSuchThing:getNoSuchThing") == {}


def _types_of(module: str) -> list[str]:
    return sorted(t for t in sdk_types._resource_classes("aws") if t.split(":")[1].split("/")[0] == module)


@pytest.mark.parametrize("module", MODULES)
def test_no_required_output_comes_back_none_or_of_another_type(module: str) -> None:
    for type_ in _types_of(module):
        outputs = update_state(type_)
        for prop, declared in sdk_types.resource_outputs(type_).items():
            if declared.optional or declared.kind == "any":
                continue
            assert isinstance(outputs.get(prop), KINDS[declared.kind]), (type_, prop, outputs.get(prop))


def test_preview_leaves_the_derived_outputs_unknown() -> None:
    outputs = update_state("aws:apigateway/restApi:RestApi", preview=True)
    assert outputs["executionArn"] == outputs["rootResourceId"] == outputs["apiKeySource"] == aws_mock.UNKNOWN
    assert outputs["id"] == aws_mock.UNKNOWN


@pytest.mark.parametrize("type_", sorted({*aws_mock.COMPUTED, *aws_mock.OUTPUT_DEFAULTS}))
def test_hand_written_emulation_agrees_with_the_sdk_types(type_: str) -> None:
    shape = sdk_types.resource_outputs(type_)
    inputs = {"functionName": "f", "restApi": "a1b2c3", "stageName": "prod", "apiId": "h1", "targetKeyId": "k"}
    emulated = aws_mock.resource_state(type_, "thing", inputs, ENV, f"urn::{type_}", False)[1]
    hand_written = {k: v for k, v in emulated.items() if k not in inputs and k not in ("id", "tagsAll")}
    for prop, value in hand_written.items():
        assert prop in shape, (type_, prop)
        assert isinstance(value, KINDS.get(shape[prop].kind, object)), (type_, prop, value)


def test_a_dict_where_the_sdk_says_string_comes_back_as_the_providers_json() -> None:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    for preview in (True, False):
        outputs = update_state("aws:iam/policy:Policy", {"policy": document}, preview=preview)
        assert outputs["policy"] == (
            '{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}'
        )
    secret = update_state("aws:iam/policy:Policy", {"policy": aws_mock.make_secret(document)})
    assert aws_mock.is_secret(secret["policy"]) and json.loads(aws_mock.unwrap(secret["policy"])) == document
    unknown = update_state("aws:iam/policy:Policy", {"policy": {"Statement": [aws_mock.UNKNOWN]}})
    assert unknown["policy"] == aws_mock.UNKNOWN
    # A map the SDK types as a map stays one.
    assert update_state("aws:iam/policy:Policy", {"tags": {"a": "b"}})["tags"] == {"a": "b"}


def test_listed_data_sources_agree_with_each_other() -> None:
    def answer(token: str, **args: Any) -> dict[str, Any]:
        result = aws_mock.answer_invoke(token, args, ENV, sdk_types.invoke_result(token))
        assert result is not None
        return result

    sydney = aws_mock.answer_invoke("aws:index/getAvailabilityZones:getAvailabilityZones", {},
                                    aws_mock.Env(region="ap-southeast-2"))
    assert sydney is not None and sydney["zoneIds"][0] == "apse2-az1"
    zones = answer("aws:index/getAvailabilityZones:getAvailabilityZones")
    assert zones["names"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert zones["zoneIds"] == ["euw1-az1", "euw1-az2", "euw1-az3"]
    vpc = answer("aws:ec2/getVpc:getVpc", default=True)
    subnets = answer("aws:ec2/getSubnets:getSubnets")
    subnet = answer("aws:ec2/getSubnet:getSubnet", id=subnets["ids"][2])
    assert subnet["vpcId"] == vpc["id"] and subnet["availabilityZone"] == "eu-west-1c"
    assert answer("aws:ec2/getSecurityGroup:getSecurityGroup", name="default")["vpcId"] == vpc["id"]
    assert answer("aws:route53/getZone:getZone", name="example.com.")["name"] == "example.com"
    key = answer("aws:kms/getKey:getKey", keyId="alias/app")
    assert key["arn"] == f"arn:aws:kms:eu-west-1:123456789012:key/{key['keyId']}"
    assert answer("aws:iam/getRole:getRole", name="r")["arn"] == "arn:aws:iam::123456789012:role/r"
    parameter = answer("aws:ssm/getParameter:getParameter", name="/p")
    assert aws_mock.is_secret(parameter["value"]) and parameter["arn"].endswith(":parameter/p")
    ami = answer("aws:ec2/getAmi:getAmi", mostRecent=True)
    assert ami["id"] == ami["imageId"] and ami["id"].startswith("ami-0") and ami["mostRecent"] is True
    assert isinstance(ami["blockDeviceMappings"], list) and len(ami["blockDeviceMappings"]) == 1


def test_an_unlisted_data_source_is_answered_from_its_result_type() -> None:
    token = "aws:sns/getTopic:getTopic"
    topic = aws_mock.answer_invoke(token, {"name": "alerts"}, ENV, sdk_types.invoke_result(token))
    assert topic == {
        "arn": "arn:aws:sns:eu-west-1:123456789012:topic/alerts",
        "id": topic and topic["id"],
        "name": "alerts",
        "region": "eu-west-1",
        "tags": {},
    }


def serverless_outputs() -> dict[str, Any]:
    captured = capture("serverless_outputs", "dev", "update")
    by_name = {r.name: r for r in captured.resources if r.type != "pulumi:pulumi:Stack"}
    by_type = {(r.type, r.name): r for r in captured.resources}
    return by_name | {"": captured.root, "api": by_type["aws:apigateway/restApi:RestApi", "api"],
                      "http": by_type["aws:apigatewayv2/api:Api", "http"],
                      "permission": by_type["aws:lambda/permission:Permission", "api"],
                      "policy": by_type["aws:iam/policy:Policy", "handler-logs"]}


def test_serverless_outputs_are_consistent_in_update_mode() -> None:
    resources = serverless_outputs()
    rest_id, http_id = resources["api"].id, resources["http"].id
    outputs = resources[""].outputs
    assert outputs["restUrl"] == f"https://{rest_id}.execute-api.eu-west-1.amazonaws.com/prod/"
    assert outputs["httpHost"] == f"{http_id}.execute-api.eu-west-1.amazonaws.com"
    assert outputs["httpUrl"] == f"https://{http_id}.execute-api.eu-west-1.amazonaws.com/"
    graphql_id = resources["graphql"].id
    assert outputs["graphql"] == f"https://{graphql_id}.appsync-api.eu-west-1.amazonaws.com/graphql"
    repository = resources["images"].inputs["name"]
    assert outputs["image"] == f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/{repository}:latest"
    assert outputs["registryUser"] == "AWS"
    permission = resources["permission"]
    assert permission.inputs["sourceArn"] == f"arn:aws:execute-api:eu-west-1:123456789012:{rest_id}/*/*"
    policy = resources["policy"].outputs["policy"]
    assert json.loads(policy)["Statement"][0]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert outputs["policyLength"] == float(len(policy))


def _report(program: str, mode: str) -> tuple[int, dict[str, Any], str]:
    result = run_cli(str(PROGRAMS / program), "--mode", mode, "--format", "json")
    report = json.loads(result.stdout) if result.stdout else {}
    return result.returncode, report, result.stderr


@pytest.mark.parametrize("mode", ["preview", "update"])
def test_serverless_program_runs_and_its_dict_policy_is_judged(mode: str) -> None:
    code, report, _ = _report("serverless_outputs", mode)
    jsonschema.validate(report, SCHEMA)
    assert code == 1
    found = {(v["policy"], v["resourceName"], v["enforcementLevel"]) for v in report["violations"]}
    assert ("iam-policy-disallow-wildcard-resources", "handler-logs", "mandatory") in found
    assert ("aws-resource-require-tags", "api", "mandatory") in found
    assert "genericInvokes" not in report


@pytest.mark.parametrize("mode", ["preview", "update"])
def test_data_sources_program_runs_and_lists_the_invented_invokes(mode: str) -> None:
    code, report, stderr = _report("data_sources", mode)
    jsonschema.validate(report, SCHEMA)
    assert code == 1, stderr
    assert report["genericInvokes"] == GENERIC
    warned = [line for line in stderr.splitlines() if line.startswith("warning: invoke ")]
    assert [line.split("'")[1] for line in warned] == GENERIC
    found = {(v["policy"], v["resourceName"], v["enforcementLevel"]) for v in report["violations"]}
    assert ("aws-resource-require-tags", "server", "mandatory") in found


def test_text_report_lists_the_invented_invokes() -> None:
    result = run_cli(str(PROGRAMS / "data_sources"))
    assert result.returncode == 1
    section = result.stdout.split("Invokes answered with invented values (from the SDK's result types):\n")[1]
    assert section.split("\n\n")[0].splitlines() == [f"    - {token}" for token in GENERIC]


@pytest.mark.parametrize("mode", ["preview", "update"])
def test_remote_components_are_listed_and_the_rest_is_judged(mode: str) -> None:
    code, report, stderr = _report("awsx_component", mode)
    jsonschema.validate(report, SCHEMA)
    assert code == 1, stderr
    urn = "urn:pulumi:dev::offline-awsx-component::"
    assert report["remoteComponents"] == [
        {"type": "awsx:ec2:Vpc", "name": "vpc", "urn": f"{urn}awsx:ec2:Vpc::vpc"},
        {"type": "awsx:lb:ApplicationLoadBalancer", "name": "lb", "urn": f"{urn}awsx:lb:ApplicationLoadBalancer::lb"},
        {"type": "awsx:ecs:FargateService", "name": "service", "urn": f"{urn}awsx:ecs:FargateService::service"},
    ]
    warned = [line for line in stderr.splitlines() if "is a remote component" in line]
    assert [line.split("'")[1] for line in warned] == ["vpc", "lb", "service"]
    found = [(v["policy"], v["resourceName"], v["enforcementLevel"]) for v in report["violations"]]
    # The program's own untagged ECS cluster fails too: ECS clusters are taggable by the SDK's word.
    assert found == [("aws-resource-require-tags", "cluster", "mandatory"),
                     ("aws-resource-require-tags", "work", "mandatory")]


def test_a_remote_components_outputs_and_the_resources_they_refer_to_have_values() -> None:
    captured = capture("awsx_component", "dev", "update")
    outputs = captured.root.outputs
    assert isinstance(outputs["vpcId"], str) and outputs["vpcId"]
    assert outputs["url"].startswith("http://") and outputs["url"].endswith(".elasticloadbalancing.us-east-1"
                                                                             ".amazonaws.com")
    assert not any(r.parent.endswith("::lb") for r in captured.resources)
