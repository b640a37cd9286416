"""A payment transaction processor on Lambda that passes the aws-lambda-guardrails policy pack."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
from processor_args import TransactionProcessorArgs, validate_args

APP_DIR = Path(__file__).resolve().parent / "app"
SERVICE_NAME = "transaction-processor"
ALIAS_NAME = "live"
API_PATH = "/transactions"

KEY_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
]
KEY_USE_ACTIONS = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
]
TABLE_ACTIONS = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"]
# DynamoDB encrypts and decrypts items with the table key on the caller's behalf.
TABLE_KEY_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
XRAY_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


class TransactionProcessor(pulumi.ComponentResource):
    function: aws.lambda_.Function
    alias: aws.lambda_.Alias
    log_group: aws.cloudwatch.LogGroup
    role: aws.iam.Role
    key: aws.kms.Key
    table: aws.dynamodb.Table
    api: aws.apigatewayv2.Api
    provisioned: aws.lambda_.ProvisionedConcurrencyConfig | None

    def __init__(
        self,
        name: str,
        args: TransactionProcessorArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("guardrails:lambda:TransactionProcessor", name, None, opts)
        validate_args(args, pulumi.get_stack())
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        suffix = args.environment_suffix
        tags = args.tags

        account = aws.get_caller_identity(opts=invoke).account_id
        region = aws.get_region(opts=invoke).region
        partition_info = aws.get_partition(opts=invoke)
        partition, dns_suffix = partition_info.partition, partition_info.dns_suffix

        function_name = f"{SERVICE_NAME}-{suffix}"
        role_name = f"{SERVICE_NAME}-role-{suffix}"
        table_name = f"transactions-{suffix}"
        log_group_name = f"/aws/lambda/{function_name}"
        role_arn = f"arn:{partition}:iam::{account}:role/{role_name}"
        table_arn = f"arn:{partition}:dynamodb:{region}:{account}:table/{table_name}"
        log_group_arn = f"arn:{partition}:logs:{region}:{account}:log-group:{log_group_name}"
        dynamodb_service = f"dynamodb.{region}.{dns_suffix}"

        self.role = aws.iam.Role(
            f"{name}-role",
            name=role_name,
            description=f"Execution role of {function_name}",
            assume_role_policy=_document(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ),
            tags=tags,
            opts=child,
        )

        key_statements: list[dict[str, Any]] = [
            {
                "Sid": "AccountAdministersAndDelegatesToIam",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": KEY_ADMIN_ACTIONS + KEY_USE_ACTIONS,
                "Resource": "*",
            },
            {
                "Sid": "FunctionRoleDecryptsEnvironment",
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": "kms:Decrypt",
                "Resource": "*",
            },
            {
                "Sid": "FunctionRoleUsesTableThroughDynamoDb",
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": TABLE_KEY_ACTIONS,
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": dynamodb_service}},
            },
        ]
        if args.encrypt_logs:
            key_statements.append(
                {
                    "Sid": "CloudWatchLogsEncryptsFunctionLogGroup",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.{dns_suffix}"},
                    "Action": [*KEY_USE_ACTIONS, "kms:DescribeKey"],
                    "Resource": "*",
                    "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}},
                }
            )
        # In a key policy "Resource": "*" means this key; the role must exist before it is named as a principal.
        # The role's use of the key is granted here, not in an IAM document: the key's ARN is unknown until the
        # key exists, and an IAM document naming it could only be judged at `pulumi up`.
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"Encrypts {function_name}'s environment, its table and its logs",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=_document(*key_statements),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role]),
        )
        self.key_alias = aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/{SERVICE_NAME}-{suffix}",
            target_key_id=self.key.key_id,
            opts=child,
        )

        self.table = aws.dynamodb.Table(
            f"{name}-table",
            name=table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key="transactionId",
            attributes=[aws.dynamodb.TableAttributeArgs(name="transactionId", type="S")],
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True, kms_key_arn=self.key.arn),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            deletion_protection_enabled=args.environment == "production",
            tags=tags,
            opts=child,
        )

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=self.key.arn if args.encrypt_logs else None,
            tags=tags,
            opts=child,
        )

        # Built from known parts, so the whole document is known at preview and the pack can judge it.
        data_policy = aws.iam.RolePolicy(
            f"{name}-data-policy",
            name=f"{SERVICE_NAME}-data-{suffix}",
            role=self.role.id,
            policy=_document(
                {
                    "Sid": "TransactionTableItems",
                    "Effect": "Allow",
                    "Action": TABLE_ACTIONS,
                    "Resource": [table_arn, f"{table_arn}/index/*"],
                },
                {
                    "Sid": "FunctionLogStreams",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"{log_group_arn}:*",
                },
                {
                    "Sid": "XRayWrites",
                    "Effect": "Allow",
                    "Action": XRAY_ACTIONS,
                    "Resource": "*",
                },
            ),
            opts=child,
        )
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description="Validates payment transactions and records each one exactly once",
            runtime="python3.12",
            handler="handler.handler",
            code=pulumi.FileArchive(os.path.relpath(APP_DIR)),
            role=self.role.arn,
            architectures=["arm64"],
            memory_size=1024,
            timeout=30,
            reserved_concurrent_executions=args.reserved_concurrency,
            publish=True,
            kms_key_arn=self.key.arn,
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=self.log_group.name),
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={
                    "TABLE_NAME": self.table.name,
                    "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                    "LOG_LEVEL": args.log_level,
                    "DEPLOY_ENVIRONMENT": args.environment,
                }
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, data_policy]),
        )

        self.alias = aws.lambda_.Alias(
            f"{name}-alias",
            name=ALIAS_NAME,
            description=f"The version of {function_name} that takes traffic",
            function_name=self.function.name,
            function_version=self.function.version,
            opts=child,
        )

        # The HTTP entry point: every route needs SigV4-signed (IAM) callers, and only this API's POST route may
        # invoke the alias (the Permission's source ARN), so no other API or account can.
        self.api = aws.apigatewayv2.Api(
            f"{name}-api",
            name=f"transactions-{suffix}",
            description=f"Transaction intake for {function_name}",
            protocol_type="HTTP",
            tags=tags,
            opts=child,
        )
        integration = aws.apigatewayv2.Integration(
            f"{name}-integration",
            api_id=self.api.id,
            integration_type="AWS_PROXY",
            integration_uri=self.alias.arn,
            payload_format_version="2.0",
            timeout_milliseconds=29000,
            opts=child,
        )
        aws.apigatewayv2.Route(
            f"{name}-route",
            api_id=self.api.id,
            route_key=f"POST {API_PATH}",
            authorization_type="AWS_IAM",
            target=integration.id.apply(lambda integration_id: f"integrations/{integration_id}"),
            opts=child,
        )
        aws.apigatewayv2.Stage(f"{name}-stage", api_id=self.api.id, name="$default", auto_deploy=True, tags=tags,
                               opts=child)
        aws.lambda_.Permission(
            f"{name}-api-invoke",
            action="lambda:InvokeFunction",
            function=self.function.name,
            qualifier=self.alias.name,
            principal="apigateway.amazonaws.com",
            source_arn=self.api.id.apply(
                lambda api_id: f"arn:{partition}:execute-api:{region}:{account}:{api_id}/*/POST{API_PATH}"
            ),
            opts=child,
        )

        self.provisioned = None
        if args.provisioned_concurrency > 0:
            self.provisioned = aws.lambda_.ProvisionedConcurrencyConfig(
                f"{name}-provisioned",
                function_name=self.function.name,
                qualifier=self.alias.name,
                provisioned_concurrent_executions=args.provisioned_concurrency,
                opts=child,
            )

        self.register_outputs(
            {
                "functionName": self.function.name,
                "functionArn": self.function.arn,
                "functionVersion": self.function.version,
                "aliasName": self.alias.name,
                "aliasArn": self.alias.arn,
                "logGroupName": self.log_group.name,
                "roleArn": self.role.arn,
                "keyArn": self.key.arn,
                "tableName": self.table.name,
            }
        )
