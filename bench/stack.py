"""Deterministic stacks shaped like real Lambda applications, in the engine's wire format.

Each "service" is a ComponentResource with its Function, Alias, ProvisionedConcurrencyConfig, execution Role (with
inline policies), RolePolicy, KMS Key and Alias, LogGroup and DynamoDB Table; the stack adds its root
`pulumi:pulumi:Stack` and an explicit AWS provider with default tags that every custom resource uses. Props are what
the engine sends an analyzer during preview: numbers as floats, provider-computed values as the unknown sentinel,
URNs built as the engine builds them, parents, dependencies and property dependencies set.

Service i draws from its own `random.Random(f"{seed}:{i}")`, so a smaller stack is a prefix of a larger one, and a
stack of N resources is exactly N long (the last service is cut short; every reference points backwards).
About one service in eight carries one realistic defect, so that the pack reports something at every size.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from lambda_guardrails.offline.requests import Options

SIG: Final = "4dabf18193072939515e22adb298388d"
ARCHIVE_SIG: Final = "0def7320c3a5731c473e5ecbe6d01bc7"
UNKNOWN: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

PROJECT: Final = "bench"
STACK: Final = "dev"
SUFFIX: Final = "dev"
REGION: Final = "us-east-1"
ACCOUNT: Final = "123456789012"
STACK_TYPE: Final = "pulumi:pulumi:Stack"
PROVIDER_TYPE: Final = "pulumi:providers:aws"
COMPONENT_TYPE: Final = "bench:lambda:Service"
RESOURCES_PER_SERVICE: Final = 10
STACK_CONFIG: Final = {
    "aws:region": REGION,
    f"{PROJECT}:environmentSuffix": SUFFIX,
    f"{PROJECT}:environment": "development",
}

TEAMS: Final = ("payments", "orders", "identity", "search", "billing", "ledger", "notify", "catalog")
ROLES: Final = ("processor", "api", "worker", "consumer", "scheduler", "webhook", "indexer", "exporter")
DEFECTS: Final = (
    "tracing-passthrough",
    "x86",
    "memory-too-low",
    "timeout-too-long",
    "missing-cost-center",
    "wildcard-action",
    "wildcard-resource",
    "retention-forever",
    "rotation-off",
    "unpublished",
    "secret-in-env",
)
DEFECT_RATE: Final = 1 / 8


@dataclass(frozen=True)
class Resource:
    """One resource as the engine knows it: inputs for Analyze, outputs (inputs plus computed) for AnalyzeStack."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider_urn: str
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    options: Options = field(default_factory=Options)


@dataclass(frozen=True)
class Stack:
    seed: int
    resources: tuple[Resource, ...]
    defects: dict[str, int] = field(default_factory=dict)

    @property
    def provider(self) -> Resource:
        return next(r for r in self.resources if r.type == PROVIDER_TYPE)

    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for resource in self.resources:
            result[resource.type] = result.get(resource.type, 0) + 1
        return dict(sorted(result.items()))


def urn(types: list[str], name: str) -> str:
    """`urn:pulumi:<stack>::<project>::<parent types $-joined><type>::<name>`, without the root stack's type."""
    return f"urn:pulumi:{STACK}::{PROJECT}::{'$'.join(types)}::{name}"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


def _with_computed(inputs: dict[str, Any], *computed: str, **known: Any) -> dict[str, Any]:
    outputs = dict(inputs)
    outputs.update({key: UNKNOWN for key in computed})
    outputs.update(known)
    if "tags" in inputs:
        outputs["tagsAll"] = {"Environment": "development", "ManagedBy": "pulumi", **inputs["tags"]}
    return outputs


class _Builder:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.resources: list[Resource] = []
        self.defects: dict[str, int] = {}
        root_name = f"{PROJECT}-{STACK}"
        self.root = urn([STACK_TYPE], root_name)
        self.provider = urn([PROVIDER_TYPE], "aws-main")
        self.add(Resource(self.root, STACK_TYPE, root_name, False, "", "", (), {}, {}, {"region": REGION}))
        provider_inputs = {
            "region": REGION,
            "defaultTags": json.dumps({"tags": {"Environment": "development", "ManagedBy": "pulumi"}}),
            "skipCredentialsValidation": "true",
            "version": "7.51.1",
        }
        self.add(Resource(self.provider, PROVIDER_TYPE, "aws-main", True, self.root, "", (), {}, provider_inputs,
                          {**provider_inputs, "id": UNKNOWN}))

    def add(self, resource: Resource) -> None:
        self.resources.append(resource)

    def service(self, index: int) -> Iterator[Resource]:
        """The resources of service `index`, in registration order (each refers only to earlier ones)."""
        rng = random.Random(f"{self.seed}:{index}")
        team, kind = rng.choice(TEAMS), rng.choice(ROLES)
        svc = f"{team}-{kind}-{index:05d}"
        defect = rng.choice(DEFECTS) if rng.random() < DEFECT_RATE else ""
        if defect:
            self.defects[defect] = self.defects.get(defect, 0) + 1
        tags = {"Team": team, "CostCenter": f"cc-{rng.randint(100, 999)}", "Service": svc}
        if defect == "missing-cost-center":
            del tags["CostCenter"]
        function_name = f"{svc}-{SUFFIX}"
        role_name = f"{svc}-role-{SUFFIX}"
        table_name = f"{svc}-items-{SUFFIX}"
        log_group_name = f"/aws/lambda/{function_name}"
        table_arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table_name}"
        log_group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{log_group_name}"

        component = urn([COMPONENT_TYPE], svc)
        yield Resource(component, COMPONENT_TYPE, svc, False, self.root, "", (), {}, {},
                       {"functionName": function_name, "functionArn": UNKNOWN})

        def child(type_: str, suffix: str, inputs: dict[str, Any], outputs: dict[str, Any],
                  property_dependencies: dict[str, tuple[str, ...]] | None = None,
                  depends_on: tuple[str, ...] = ()) -> Resource:
            pdeps = property_dependencies or {}
            dependencies = tuple(dict.fromkeys([*(u for urns in pdeps.values() for u in urns), *depends_on]))
            return Resource(urn([COMPONENT_TYPE, type_], f"{svc}-{suffix}"), type_, f"{svc}-{suffix}", True,
                            component, self.provider, dependencies, pdeps, inputs, outputs)

        role_inputs = {
            "name": role_name,
            "description": f"Execution role of {function_name}",
            "assumeRolePolicy": document({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                          "Action": "sts:AssumeRole"}),
            "inlinePolicies": [
                {"name": "logs", "policy": document({
                    "Sid": "FunctionLogStreams", "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": f"{log_group_arn}:*"})},
                {"name": "xray", "policy": document({
                    "Sid": "XRayWrites", "Effect": "Allow",
                    "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"})},
            ],
            "tags": tags,
        }
        role = child("aws:iam/role:Role", "role", role_inputs,
                     _with_computed(role_inputs, "arn", "id", "uniqueId", "createDate", path="/",
                                    maxSessionDuration=3600.0, forceDetachPolicies=False))
        yield role

        key_inputs = {
            "description": f"Encrypts {function_name}'s environment, table and logs",
            "keyUsage": "ENCRYPT_DECRYPT",
            "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
            "enableKeyRotation": defect != "rotation-off",
            "deletionWindowInDays": 30.0,
            "policy": document(
                {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                 "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
                            "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
                            "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"], "Resource": "*"},
                {"Sid": "FunctionDecrypts", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/{role_name}"}, "Action": "kms:Decrypt",
                 "Resource": "*"}),
            "tags": tags,
        }
        key = child("aws:kms/key:Key", "key", key_inputs,
                    _with_computed(key_inputs, "arn", "keyId", "id", multiRegion=False,
                                   bypassPolicyLockoutSafetyCheck=False), depends_on=(role.urn,))
        yield key
        alias_inputs = {"name": f"alias/{svc}-{SUFFIX}", "targetKeyId": UNKNOWN}
        yield child("aws:kms/alias:Alias", "key-alias", alias_inputs,
                    _with_computed(alias_inputs, "arn", "targetKeyArn", "id"), {"targetKeyId": (key.urn,)})

        table_inputs = {
            "name": table_name,
            "billingMode": "PAY_PER_REQUEST",
            "hashKey": "id",
            "rangeKey": "createdAt",
            "attributes": [{"name": "id", "type": "S"}, {"name": "createdAt", "type": "N"}],
            "serverSideEncryption": {"enabled": True, "kmsKeyArn": UNKNOWN},
            "pointInTimeRecovery": {"enabled": True},
            "deletionProtectionEnabled": False,
            "tags": tags,
        }
        table = child("aws:dynamodb/table:Table", "table", table_inputs,
                      _with_computed(table_inputs, "arn", "id", "streamArn", "streamLabel"),
                      {"serverSideEncryption": (key.urn,)})
        yield table

        retention = 0.0 if defect == "retention-forever" else float(rng.choice((7, 14, 30)))
        log_inputs: dict[str, Any] = {"name": log_group_name, "kmsKeyId": UNKNOWN, "tags": tags}
        if retention:
            log_inputs["retentionInDays"] = retention
        log_group = child("aws:cloudwatch/logGroup:LogGroup", "logs", log_inputs,
                          _with_computed(log_inputs, "arn", "id", logGroupClass="STANDARD", skipDestroy=False,
                                         retentionInDays=retention), {"kmsKeyId": (key.urn,)})
        yield log_group

        actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"]
        resources = [table_arn, f"{table_arn}/index/*"]
        if defect == "wildcard-action":
            actions = ["dynamodb:*"]
        if defect == "wildcard-resource":
            resources = [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/*"]
        policy_inputs = {
            "name": f"{svc}-data-{SUFFIX}",
            "role": UNKNOWN,
            "policy": document({"Sid": "ItemsTable", "Effect": "Allow", "Action": actions, "Resource": resources}),
        }
        yield child("aws:iam/rolePolicy:RolePolicy", "data-policy", policy_inputs,
                    _with_computed(policy_inputs, "id"), {"role": (role.urn,)})

        reserved = float(rng.randint(2, 10))
        variables: dict[str, Any] = {
            "TABLE_NAME": table_name,
            "LOG_LEVEL": rng.choice(("INFO", "WARNING", "DEBUG")),
            "POWERTOOLS_SERVICE_NAME": svc,
            "DEPLOY_ENVIRONMENT": "development",
            "QUEUE_URL": UNKNOWN,
        }
        for extra in range(rng.randint(0, 6)):
            variables[f"FEATURE_FLAG_{extra}"] = rng.choice(("true", "false"))
        if defect == "secret-in-env":
            variables["API_TOKEN"] = "tok-" + "".join(rng.choice("abcdef0123456789") for _ in range(24))
        function_inputs = {
            "name": function_name,
            "description": f"{kind.title()} of the {team} team",
            "role": UNKNOWN,
            "runtime": rng.choice(("python3.12", "python3.13", "nodejs20.x")),
            "handler": "handler.handler",
            "code": {SIG: ARCHIVE_SIG, "path": "app"},
            "architectures": ["x86_64" if defect == "x86" else "arm64"],
            "memorySize": 64.0 if defect == "memory-too-low" else float(rng.choice((256, 512, 1024, 1536, 2048))),
            "timeout": 120.0 if defect == "timeout-too-long" else float(rng.choice((10, 15, 30))),
            "publish": defect != "unpublished",
            "reservedConcurrentExecutions": reserved,
            "kmsKeyArn": UNKNOWN,
            "environment": {"variables": variables},
            "tracingConfig": {"mode": "PassThrough" if defect == "tracing-passthrough" else "Active"},
            "loggingConfig": {"logFormat": "JSON", "logGroup": log_group_name},
            "tags": tags,
        }
        function = child(
            "aws:lambda/function:Function", "function", function_inputs,
            _with_computed(function_inputs, "arn", "invokeArn", "qualifiedArn", "qualifiedInvokeArn", "version",
                           "lastModified", "sourceCodeHash", "sourceCodeSize", "signingJobArn", "id",
                           packageType="Zip", skipDestroy=False),
            {"role": (role.urn,), "kmsKeyArn": (key.urn,), "environment": (table.urn,),
             "loggingConfig": (log_group.urn,)},
            depends_on=(log_group.urn,))
        yield function

        alias_name = "live"
        lambda_alias_inputs = {
            "name": alias_name,
            "description": f"The version of {function_name} that takes traffic",
            "functionName": function_name,
            "functionVersion": UNKNOWN,
        }
        lambda_alias = child("aws:lambda/alias:Alias", "alias", lambda_alias_inputs,
                             _with_computed(lambda_alias_inputs, "arn", "invokeArn", "id"),
                             {"functionName": (function.urn,), "functionVersion": (function.urn,)})
        yield lambda_alias

        # Mostly the alias's known name; sometimes a computed qualifier the pack must resolve through dependencies.
        qualifier = alias_name if rng.random() < 0.8 else UNKNOWN
        provisioned_inputs = {
            "functionName": function_name,
            "qualifier": qualifier,
            "provisionedConcurrentExecutions": float(rng.randint(1, int(reserved))),
        }
        yield child("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig", "provisioned",
                    provisioned_inputs, _with_computed(provisioned_inputs, "id", skipDestroy=False),
                    {"functionName": (function.urn,), "qualifier": (lambda_alias.urn,)})


def generate(size: int, seed: int = 42) -> Stack:
    """A stack of exactly `size` resources (at least 2: the root stack and the provider)."""
    if size < 2:
        raise ValueError("a stack has at least 2 resources: the root stack and the provider")
    builder = _Builder(seed)
    index = 0
    while len(builder.resources) < size:
        for resource in builder.service(index):
            if len(builder.resources) >= size:
                break
            builder.add(resource)
        index += 1
    return Stack(seed, tuple(builder.resources), dict(sorted(builder.defects.items())))
