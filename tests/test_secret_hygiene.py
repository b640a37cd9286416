"""No policy of the pack ever shows a secret: distinctive secret values go everywhere a stack can hold them (environment
variables, tags, provider credentials and default tags, IAM and key policies, code), plain and secret-wrapped,
through every registered policy in preview and update, and none may appear in a diagnostic or not-applicable reason.

The registry is iterated, not listed, so policies added later are covered too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from harness import Outcome, build_servicer, run_stack
from pulumi.runtime.proto import analyzer_pb2 as apb

from policypack.registry import POLICIES

PEM_BODY = "MIIEpAIBAAKCAQEAhygIeNeZZpemBODYzz0123456789"
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
SECRETS = {
    "access_key": "AKIAZZZZZZZZZZZZZZZZ",
    "session_key": "ASIAYYYYYYYYYYYYYYYY",
    "pem": PEM_BODY,
    "url_password": "Sup3rS3cretPw",
    "stripe": "sk_live_HyGiEnE0123456789abcdef",
    "token": "ghp_HyGiEnEtOkEn0123456789abcdefABCD",
    "password": "Hyg1ene-Passw0rd!",
    "wrapped": "Wr4pped-HyGiEnE-Secret",
    "tag": "TagSecret-HyGiEnE-42",
    "provider_secret": "ProviderSecretKey/HyGiEnE+0123456789abcd",
    "condition": "CondSecret-HyGiEnE-7",
    "code": "CodeSecret-HyGiEnE-9",
}
PROVIDER = "aws-provider"
FN_NAME = "processor-dev"


def secret(value: Any, wrapped: bool) -> Any:
    return {"$secret": value} if wrapped else value


def document(wrapped: bool) -> Any:
    body = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Broad", "Effect": "Allow", "Action": "*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/token": SECRETS["condition"]}}},
        {"Effect": "Allow", "NotAction": "s3:*", "NotResource": f"arn:aws:s3:::{SECRETS['condition']}/*"},
    ]}
    return secret({"$json": body}, wrapped)


def stack(wrapped: bool) -> list[dict[str, Any]]:
    tags = {"Environment": "development", "Team": secret(SECRETS["tag"], wrapped), "CostCenter": "fintech",
            "Owner": secret(SECRETS["tag"], wrapped)}
    variables = {
        "AWS_ACCESS_KEY_ID": SECRETS["access_key"],
        "SESSION": f"id={SECRETS['session_key']}",
        "SIGNING_KEY": PEM,
        "DATABASE_URL": f"postgres://admin:{SECRETS['url_password']}@db:5432/x",
        "STRIPE_API_KEY": secret(SECRETS["stripe"], wrapped),
        "GITHUB_TOKEN": SECRETS["token"],
        "DB_PASSWORD": secret(SECRETS["password"], True),
        "CLIENT_SECRET": {"$secret": SECRETS["wrapped"]},
        "NOTE": f"TODO replace {SECRETS['password']}",
        "PLACEHOLDER": f"<{SECRETS['wrapped']}>",
    }
    function = {
        "name": FN_NAME, "runtime": "python3.12", "handler": "index.handler",
        "role": "arn:aws:iam::123456789012:role/r",
        "memorySize": 99999, "timeout": 900, "architectures": ["x86_64"], "reservedConcurrentExecutions": 5000,
        "publish": False, "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:alias/aws/lambda",
        "tracingConfig": {"mode": "PassThrough"},
        "environment": {"variables": secret(variables, wrapped)},
        "code": {"$assetArchive": {"index.py": {"$stringAsset": f"KEY = '{SECRETS['code']}'"}}},
        "tags": tags,
    }
    resources = [
        {"type": "pulumi:providers:aws", "name": PROVIDER, "props": {
            "region": "us-east-1", "accessKey": SECRETS["access_key"],
            "secretKey": secret(SECRETS["provider_secret"], wrapped), "token": secret(SECRETS["token"], wrapped),
            "defaultTags": secret({"$json": {"tags": {"Environment": "development", "Team": SECRETS["tag"]}}},
                                  wrapped)}},
        {"type": "aws:lambda/function:Function", "name": "fn", "props": function},
        {"type": "aws:lambda/alias:Alias", "name": "live",
         "props": {"name": "live", "functionName": FN_NAME, "functionVersion": "$LATEST"}},
        {"type": "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig", "name": "pc",
         "props": {"functionName": FN_NAME, "qualifier": "live", "provisionedConcurrentExecutions": 9000}},
        {"type": "aws:iam/role:Role", "name": "role", "props": {
            "name": "processor-role-dev", "tags": tags,
            "assumeRolePolicy": {"$json": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": SECRETS["condition"]}}}]}},
            "inlinePolicies": [{"name": "inline", "policy": document(wrapped)}]}},
        {"type": "aws:iam/rolePolicy:RolePolicy", "name": "role-policy",
         "props": {"name": "processor-policy-dev", "role": "processor-role-dev", "policy": document(wrapped)}},
        {"type": "aws:iam/policy:Policy", "name": "policy",
         "props": {"name": "processor-managed-dev", "policy": document(wrapped), "tags": tags}},
        {"type": "aws:kms/key:Key", "name": "key", "props": {
            "deletionWindowInDays": 3, "enableKeyRotation": False, "tags": tags,
            "description": secret(SECRETS["password"], wrapped), "policy": document(wrapped)}},
        {"type": "aws:kms/alias:Alias", "name": "key-alias",
         "props": {"name": "alias/aws/processor", "targetKeyId": secret(SECRETS["wrapped"], wrapped)}},
        {"type": "aws:cloudwatch/logGroup:LogGroup", "name": "logs",
         "props": {"name": "/aws/lambda/other", "retentionInDays": 0, "tags": {**tags, "Environment": "staging"},
                   "kmsKeyId": secret(SECRETS["wrapped"], wrapped)}},
        {"type": "aws:dynamodb/table:Table", "name": "table", "props": {
            "name": "t", "tags": {"Owner": secret(SECRETS["tag"], wrapped)},
            "hashKey": "id", "attributes": [{"name": "id", "type": "S"}],
            "serverSideEncryption": {"enabled": True, "kmsKeyArn": secret(SECRETS["wrapped"], wrapped)}}},
    ]
    for resource in resources[1:]:
        resource["provider"] = PROVIDER
    return resources


def texts(outcome: Outcome) -> list[str]:
    return [d.message for d in outcome.diagnostics] + [reason for _, _, reason in outcome.not_applicable]


def assert_no_secret(outcome: Outcome) -> None:
    for text in texts(outcome):
        for kind, value in SECRETS.items():
            assert value not in text, f"{kind} secret shown: {text}"
    assert not any("could not evaluate" in d.message for d in outcome.diagnostics), outcome.diagnostics


@pytest.mark.parametrize("wrapped", [False, True], ids=["plain", "secret-wrapped"])
@pytest.mark.parametrize("dry_run", [True, False], ids=["preview", "update"])
def test_no_policy_shows_a_secret(wrapped: bool, dry_run: bool) -> None:
    outcome = run_stack(stack(wrapped), dry_run=dry_run)
    assert_no_secret(outcome)
    flagged = outcome.of("lambda-function-disallow-plaintext-secrets")
    assert len(flagged) == 8, [d.message for d in flagged]  # every secret variable but NOTE and PLACEHOLDER


@pytest.mark.parametrize("dry_run", [True, False], ids=["preview", "update"])
def test_no_exemption_note_shows_a_secret(dry_run: bool) -> None:
    everything = {policy.name: {"exemptions": [{"resource": ".*", "reason": "hygiene check"}]} for policy in POLICIES}
    outcome = run_stack(stack(True), dry_run=dry_run, policy_config=everything)
    assert_no_secret(outcome)
    assert any("hygiene check" in reason for _, _, reason in outcome.not_applicable)


def test_no_remediation_note_shows_a_secret() -> None:
    remediable = {policy.name: {"enforcementLevel": "remediate"} for policy in POLICIES if policy.remediable}
    outcome = run_stack(stack(True), policy_config=remediable)
    assert_no_secret(outcome)


def test_stack_carries_every_secret() -> None:
    encoded = json.dumps(stack(True))
    assert all(value in encoded or json.dumps(value)[1:-1] in encoded for value in SECRETS.values())


SECRET_DOCUMENT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "SidHyGiEnE", "Effect": "Allow", "Action": ["s3hygiene:*", "*"],
     "Resource": ["arn:aws:s3:::bucket-hygiene-*", "arn:aws:dynamodb:*:*:table/*"]},
    {"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k"},
]}
DOCUMENT_WORDS = ("SidHyGiEnE", "s3hygiene", "bucket-hygiene", "table/*", "Maybe", "InlineHyGiEnE")


def documents(wrap: Any) -> list[dict[str, Any]]:
    return [
        {"type": "aws:iam/policy:Policy", "name": "policy",
         "props": {"name": "p-dev", "policy": wrap({"$json": SECRET_DOCUMENT})}},
        {"type": "aws:iam/role:Role", "name": "role", "props": {
            "name": "r-dev", "inlinePolicies": [wrap({"name": "InlineHyGiEnE", "policy": {"$json": SECRET_DOCUMENT}}),
                                                {"name": wrap("InlineHyGiEnE"), "policy": wrap(SECRET_DOCUMENT)}]}},
    ]


@pytest.mark.parametrize("dry_run", [True, False], ids=["preview", "update"])
def test_a_secret_policy_document_is_never_quoted(dry_run: bool) -> None:
    iam = ("iam-policy-disallow-wildcard-actions", "iam-policy-disallow-wildcard-resources")
    plain = run_stack(documents(lambda v: v), dry_run=dry_run)
    assert all(any(word in text for text in texts(plain)) for word in DOCUMENT_WORDS)  # quoted when not secret
    hidden = run_stack(documents(lambda v: {"$secret": v}), dry_run=dry_run)
    assert [(d.policy, d.resource) for d in hidden.diagnostics if d.policy in iam] == [
        (d.policy, d.resource) for d in plain.diagnostics if d.policy in iam]
    for text in texts(hidden):
        assert not any(word in text for word in DOCUMENT_WORDS), text
    assert any("[secret]" in d.message for d in hidden.diagnostics)


def suffix_messages(secret_keys: list[str]) -> list[str]:
    servicer = build_servicer()
    servicer.ConfigureStack(apb.AnalyzerStackConfigureRequest(config_secret_keys=secret_keys), None)
    suffix = "Secret_Suffix_" + "x" * 90  # invalid, and longer than the 80 characters quote() used to cut at
    try:
        outcome = run_stack([{"type": "aws:sqs/queue:Queue", "name": "q", "props": {"name": "q-dev"}}],
                            servicer=servicer, stack_config={"p:environmentSuffix": suffix})
    finally:
        servicer.ConfigureStack(apb.AnalyzerStackConfigureRequest(), None)
    return [d.message for d in outcome.of("aws-resource-name-restrict-suffix-format")]


def test_a_secret_config_suffix_is_never_quoted_and_a_plain_one_is_quoted_whole() -> None:
    suffix = "Secret_Suffix_" + "x" * 90
    hidden = suffix_messages(["p:environmentSuffix"])
    assert len(hidden) == 2 and not any("Secret_Suffix" in m for m in hidden)
    assert all("(a secret config value, 104 characters)" in m for m in hidden)
    shown = suffix_messages([])
    assert len(shown) == 2 and all(f'"{suffix}"' in m for m in shown)
