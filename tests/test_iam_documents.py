"""The IAM document parser and ARN splitter behind both IAM policies, tested directly on plain data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from policypack.iam import (
    RESOURCES,
    Arn,
    action_problem,
    judge_actions,
    judge_resources,
    parse_document,
    resource_name,
    split_arn,
    wildcard_fields,
)
from policypack.patterns import PatternError
from policypack.values import UNKNOWN

CONFIG = RESOURCES.defaults()
ACCOUNT = "123456789012"


@pytest.mark.parametrize(("value", "expected"), [
    ("arn:aws:dynamodb:us-east-1:123456789012:table/orders",
     Arn("aws", "dynamodb", "us-east-1", ACCOUNT, "table/orders")),
    ("arn:aws:s3:::my-bucket/*", Arn("aws", "s3", "", "", "my-bucket/*")),
    ("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:*",
     Arn("aws", "logs", "us-east-1", ACCOUNT, "log-group:/aws/lambda/fn:*")),
    ("arn:aws-us-gov:iam::123456789012:role/service-role/x",
     Arn("aws-us-gov", "iam", "", ACCOUNT, "role/service-role/x")),
    ("arn:aws:s3:::${aws:PrincipalTag/bucket}/*", Arn("aws", "s3", "", "", "${aws:PrincipalTag/bucket}/*")),
    ("*", None),
    ("table/orders*", None),
    ("arn:aws:s3", None),
    ("arn:aws:s3:::", None),
    ("arn::s3:::bucket", None),
    ("ARN:aws:s3:::bucket", None),
    ("", None),
])
def test_split_arn(value: str, expected: Arn | None) -> None:
    assert split_arn(value) == expected


@pytest.mark.parametrize(("service", "resource", "expected"), [
    ("dynamodb", "table/orders", "table/orders"),
    ("dynamodb", "table/orders/index/*", "table/orders"),
    ("dynamodb", "table/orders/stream/*", "table/orders"),
    ("dynamodb", "table/*", "table/*"),
    ("dynamodb", "table/orders*", "table/orders*"),
    ("dynamodb", "*", "*"),
    ("s3", "my-bucket", "my-bucket"),
    ("s3", "my-bucket/*", "my-bucket"),
    ("s3", "*", "*"),
    ("s3", "my-*/*", "my-*"),
    ("S3", "my-bucket/*", "my-bucket"),
    ("sqs", "orders-queue", "orders-queue"),
    ("execute-api", "abc123/*/GET/orders", "abc123"),
    ("logs", "log-group:/aws/lambda/fn:*", "log-group:/aws/lambda/fn"),
    ("logs", "log-group:/aws/lambda/fn:log-stream:*", "log-group:/aws/lambda/fn"),
    ("logs", "log-group:*", "log-group:*"),
    ("logs", "log-group:/aws/lambda/*", "log-group:/aws/lambda/*"),
    ("lambda", "function:fn:*", "function:fn"),
    ("lambda", "function:*", "function:*"),
    ("iam", "role/service-role/x", "role/service-role"),
    ("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab", "key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    ("kms", "alias/*", "alias/*"),
    ("secretsmanager", "secret:prod/db-AbCdEf", "secret:prod/db-AbCdEf"),
    ("ecs", "task-definition/family:*", "task-definition/family"),
    ("apigateway", "/restapis/abc/*", "/restapis/abc"),
    ("apigateway", "/restapis/*", "/restapis/*"),
])
def test_resource_name(service: str, resource: str, expected: str) -> None:
    assert resource_name(service, resource) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("arn:aws:dynamodb:*:*:table/*", ["region", "account", "resource name"]),
    ("arn:aws:dynamodb:us-east-1:*:table/x", ["account"]),
    ("arn:aws:dynamodb:*:123456789012:table/orders", ["region"]),
    ("arn:aws:dynamodb:us-east-1:123456789012:table/orders*", ["resource name"]),
    ("arn:aws:dynamodb:us-east-1:123456789012:table/order?", ["resource name"]),
    ("arn:aws:s3:::*", ["resource name"]),
    ("arn:aws:s3:::my-*", ["resource name"]),
    ("arn:*:s3:::bucket", ["partition"]),
    ("arn:aws:*:us-east-1:123456789012:thing/x", ["service"]),
    ("arn:aws:logs:us-east-1:123456789012:log-group:*", ["resource name"]),
    ("arn:aws:dynamodb:us-east-1:123456789012:table/orders", []),
    ("arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/*", []),
    ("arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/*", []),
    ("arn:aws:s3:::my-bucket/*", []),
    ("arn:aws:s3:::my-bucket/logs/??/*", []),
    ("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:*", []),
    ("arn:aws:iam::123456789012:role/deployer", []),
])
def test_wildcard_fields(value: str, expected: list[str]) -> None:
    arn = split_arn(value)
    assert arn is not None
    assert wildcard_fields(arn) == expected


@pytest.mark.parametrize(("action", "fragment"), [
    ("*", "every action of every service"),
    ("**", "every action of every service"),
    ("*:*", "wildcard in its service"),
    ("*:GetItem", "wildcard in its service"),
    ("dynamodb:*", "every dynamodb action"),
    ("S3:*", "every S3 action"),
    ("s3:?*", "every s3 action"),
    ("GetObject", "not of the form service:action"),
    ("s3:", "not of the form service:action"),
    (":GetObject", "not of the form service:action"),
    (5.0, "is a number"),
    (True, "is a boolean"),
    (None, "is null"),
    ({"a": 1}, "is an object"),
    (["s3:GetObject"], "is a list"),
    ("dynamodb:GetItem", None),
    ("s3:Get*", None),
    ("dynamodb:Describe*", None),
    ("logs:Put?ogEvents", None),
])
def test_action_problem(action: Any, fragment: str | None) -> None:
    problem = action_problem(action)
    assert (problem is None) if fragment is None else (problem is not None and fragment in problem)


STATEMENT = {"Effect": "Allow", "Action": "dynamodb:GetItem",
             "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/x"}


@pytest.mark.parametrize(("raw", "allowed", "malformed"), [
    ({"Statement": STATEMENT}, ["Statement[0]"], []),
    (json.dumps({"Statement": [STATEMENT, {**STATEMENT, "Sid": "Two"}]}), ["Statement[0]", 'Statement "Two"'], []),
    ({"Statement": [{**STATEMENT, "Effect": "Deny", "Action": "*", "Resource": "*"}]}, [], []),
    ({"Statement": [{**STATEMENT, "Sid": 7}]}, ["Statement[0]"], []),
    ({"Statement": []}, [], []),
    ({"Version": "2012-10-17"}, [], ["Statement is null, not an object or a list"]),
    ({"Statement": "Allow"}, [], ["Statement is a string"]),
    ({"Statement": [3, STATEMENT]}, ["Statement[1]"], ["Statement[0] is a number, not an object"]),
    ({"Statement": [{**STATEMENT, "Effect": "allow"}]}, [], ['Statement[0]: Effect is "allow"']),
    ({"Statement": [{**STATEMENT, "Effect": None}]}, [], ["Statement[0]: Effect is null"]),
    ('{"Statement": [', [], ["is not valid JSON: Expecting value at line 1 column 16"]),
    ("[" * 100_000, [], ["is not valid JSON: nested too deeply"]),
    ('{"Statement": 1' + "0" * 5000 + "}", [], ["is not valid JSON"]),
    ("", [], ["is not valid JSON: Expecting value at line 1 column 1"]),
    ("[1, 2]", [], ["is a list, not a JSON object"]),
    (42.0, [], ["is a number, not a JSON object"]),
])
def test_parse_document(raw: Any, allowed: list[str], malformed: list[str]) -> None:
    document = parse_document(raw)
    assert [label for label, _ in document.allow] == allowed
    assert len(document.malformed) == len(malformed)
    for text, fragment in zip(document.malformed, malformed, strict=True):
        assert fragment in text
    assert document.unknown is None


def test_parse_error_quotes_no_document_text() -> None:
    document = parse_document('{"Statement": [{"Sid": "TOP-SECRET-SID", "Effect": Allow}]}')
    assert document.malformed and "TOP-SECRET-SID" not in document.malformed[0]
    assert "Allow" not in document.malformed[0]


@pytest.mark.parametrize(("raw", "unknown", "undecided"), [
    (UNKNOWN, [], []),
    ({"Version": "2012-10-17", "Statement": UNKNOWN}, ["Statement"], []),
    ({"Statement": [UNKNOWN, STATEMENT]}, None, ["Statement[0] is unknown at preview"]),
    ({"Statement": [{**STATEMENT, "Sid": "S", "Effect": UNKNOWN}]}, None, ['Statement "S": Effect is unknown']),
])
def test_parse_unknowns(raw: Any, unknown: list[str] | None, undecided: list[str]) -> None:
    document = parse_document(raw)
    assert document.unknown == unknown
    assert len(document.undecided) == len(undecided)
    for text, fragment in zip(document.undecided, undecided, strict=True):
        assert fragment in text


TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
XRAY_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]


@pytest.mark.parametrize(("statement", "config", "problems", "undecided"), [
    ({"Action": "dynamodb:GetItem", "Resource": TABLE}, {}, [], None),
    ({"Action": "dynamodb:GetItem", "Resource": [TABLE, f"{TABLE}/index/*"]}, {}, [], None),
    ({"Action": XRAY_ACTIONS, "Resource": "*"}, {}, [], None),
    ({"Action": ["XRAY:puttracesegments"], "Resource": "*"}, {}, [], None),
    ({"Action": ["foo:Bar"], "Resource": "*"}, {}, ['"foo:Bar"'], None),
    ({"Action": ["foo:Bar"], "Resource": "*"}, {"actionsWithoutResourceScope": ["FOO:bar"]}, [], None),
    ({"Action": "xray:Get*", "Resource": "*"}, {}, ['"xray:Get*" (xray:GetGroup)'], None),
    ({"Action": "cloudwatch:PutMetricData", "Resource": "*",
      "Condition": {"StringEquals": {"CloudWatch:Namespace": "App"}}}, {}, [], None),
    ({"Action": [*XRAY_ACTIONS, "dynamodb:GetItem"], "Resource": "*"}, {}, ['"dynamodb:GetItem"'], None),
    ({"NotAction": "iam:*", "Resource": "*"}, {}, ["(NotAction)"], None),
    ({"Action": [], "Resource": "*"}, {}, [], None),
    ({"Action": ["xray:PutTraceSegments", UNKNOWN], "Resource": "*"}, {}, [], "cannot be judged"),
    ({"Action": ["dynamodb:GetItem", UNKNOWN], "Resource": "*"}, {}, ['"dynamodb:GetItem"'], None),
    ({"Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b/*"}, {}, ["NotResource"], None),
    ({"Action": "s3:GetObject"}, {}, ["has no Resource"], None),
    ({"Action": "s3:GetObject", "Resource": [UNKNOWN, TABLE]}, {}, [], "a Resource element is unknown"),
    ({"Action": "s3:GetObject", "Resource": [UNKNOWN, "arn:aws:s3:::*"]}, {}, ["arn:aws:s3:::*"],
     "a Resource element is unknown"),
    ({"Action": "s3:GetObject", "Resource": 42.0}, {}, ["a number, not an ARN"], None),
    ({"Action": "s3:GetObject", "Resource": {"a": "b"}}, {}, ["an object, not an ARN"], None),
    ({"Action": "s3:GetObject", "Resource": "table/orders*"}, {}, ["is not an ARN"], None),
    ({"Action": "s3:GetObject", "Resource": ["arn:aws:s3:::*", "arn:aws:s3:::my-*"]}, {}, ["s3:::*", "my-*"], None),
    ({"Action": "sm:Get", "Resource": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-??????"},
     {"allowedResourcePatterns": [r"arn:aws:secretsmanager:[\w-]+:\d{12}:secret:db-\?{6}"]}, [], None),
    ({"Action": "sm:Get", "Resource": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-??????"},
     {"allowedResourcePatterns": ["secret:db"]}, ["resource name"], None),  # fullmatch, not search
    ({"Action": "dynamodb:*", "Resource": "*"}, {"allowedResourcePatterns": [".*"]}, ['Resource "*"'], None),
])
def test_judge_resources(statement: dict[str, Any], config: dict[str, Any], problems: list[str],
                         undecided: str | None) -> None:
    found, reason = judge_resources(statement, {**CONFIG, **config})
    assert len(found) == len(problems), found
    for text, fragment in zip(found, problems, strict=True):
        assert fragment in text
    assert (reason is None) if undecided is None else (reason is not None and undecided in reason)


@pytest.mark.parametrize(("statement", "problems", "undecided"), [
    ({"Action": ["dynamodb:GetItem", "s3:Get*"], "Resource": TABLE}, [], None),
    ({"Action": "*", "Resource": TABLE}, ["every action of every service"], None),
    ({"Action": ["dynamodb:GetItem", "dynamodb:*", "*:*"], "Resource": TABLE}, ["dynamodb", "*:*"], None),
    ({"NotAction": "iam:*", "Resource": TABLE}, ["NotAction"], None),
    ({"Resource": TABLE}, ["has no Action"], None),
    ({"Action": [UNKNOWN, "dynamodb:GetItem"], "Resource": TABLE}, [], "an Action element is unknown"),
    ({"Action": [UNKNOWN, "s3:*"], "Resource": TABLE}, ["every s3 action"], "an Action element is unknown"),
    ({"Action": [[["s3:GetObject"]]], "Resource": TABLE}, ["is a list"], None),
])
def test_judge_actions(statement: dict[str, Any], problems: list[str], undecided: str | None) -> None:
    found, reason = judge_actions(statement, {})
    assert len(found) == len(problems), found
    for text, fragment in zip(found, problems, strict=True):
        assert fragment in text
    assert (reason is None) if undecided is None else (reason is not None and undecided in reason)


ODD: list[Any] = [None, True, 0.0, -1.0, float("nan"), "", "*", "arn:", ":" * 10, "/" * 10, [], {}, [None], [[]],
                  [{}], {"Statement": None}, UNKNOWN, [UNKNOWN], {"": ""}, "x" * 100_000, ["*"] * 1000]


@pytest.mark.parametrize("value", ODD, ids=range(len(ODD)))
def test_odd_values_never_raise(value: Any) -> None:
    parse_document(value)
    for key in ("Action", "NotAction", "Resource", "NotResource", "Effect", "Sid"):
        statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", key: value}
        judge_resources(statement, CONFIG)
        judge_actions(statement, {})
        parse_document({"Statement": statement})
        parse_document({"Statement": [statement, value]})


def test_an_invalid_allowed_pattern_is_an_error_not_skipped() -> None:
    # Configure refuses it (tests/test_config_hardening.py); should one reach a rule, the policy fails closed.
    with pytest.raises(PatternError):
        judge_resources({"Action": "sm:Get", "Resource": "arn:aws:s3:::*"},
                        {**CONFIG, "allowedResourcePatterns": ["(", "arn:aws:s3:::\\*"]})


def test_the_generated_iam_actions_table_matches_the_installed_database() -> None:
    generator = Path(__file__).parent.parent / "scripts" / "gen_iam_actions.py"
    result = subprocess.run([sys.executable, str(generator), "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, "policypack/data/iam_actions.py is stale: run scripts/gen_iam_actions.py"
