"""The seed's MODEL_RESPONSE TapStack, translated from TypeScript with its flaws kept on purpose.

Each flaw is one the policy pack must catch; see README.md. Do not fix them here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

LAMBDA_CODE = """
exports.handler = async (event) => {
  console.log('Processing financial transaction:', JSON.stringify(event));

  const dbUrl = process.env.DATABASE_URL;
  const apiKey = process.env.API_KEY;

  const response = {
    statusCode: 200,
    body: JSON.stringify({
      message: 'Transaction processed successfully',
      timestamp: new Date().toISOString(),
    }),
  };

  return response;
};
"""


@dataclass
class TapStackArgs:
    environment_suffix: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


class TapStack(pulumi.ComponentResource):
    lambda_function_arn: pulumi.Output[str]
    lambda_function_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    iam_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: TapStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tap:stack:TapStack", name, None, opts)

        environment_suffix = args.environment_suffix or "dev"
        base_tags = args.tags or {}
        resource_tags = {
            **base_tags,
            "Environment": "production",
            "Team": "payments",
            "CostCenter": "fintech",
        }

        lambda_role = aws.iam.Role(
            f"lambda-transaction-role-{environment_suffix}",
            name=f"lambda-transaction-role-{environment_suffix}",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Action": "sts:AssumeRole",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Effect": "Allow",
                        }
                    ],
                },
                separators=(",", ":"),
            ),
            tags=resource_tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        aws.iam.RolePolicyAttachment(
            f"lambda-basic-execution-{environment_suffix}",
            role=lambda_role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            opts=pulumi.ResourceOptions(parent=self),
        )

        aws.iam.RolePolicy(
            f"lambda-dynamodb-policy-{environment_suffix}",
            role=lambda_role.id,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "dynamodb:GetItem",
                                "dynamodb:PutItem",
                                "dynamodb:UpdateItem",
                                "dynamodb:Query",
                                "dynamodb:Scan",
                                "dynamodb:BatchGetItem",
                                "dynamodb:BatchWriteItem",
                            ],
                            "Resource": "arn:aws:dynamodb:*:*:table/*",
                        }
                    ],
                },
                separators=(",", ":"),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        log_group = aws.cloudwatch.LogGroup(
            f"lambda-log-group-{environment_suffix}",
            name=f"/aws/lambda/transaction-processor-{environment_suffix}",
            retention_in_days=7,
            tags=resource_tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        lambda_function = aws.lambda_.Function(
            f"transaction-processor-{environment_suffix}",
            name=f"transaction-processor-{environment_suffix}",
            runtime="nodejs20.x",
            handler="index.handler",
            role=lambda_role.arn,
            code=pulumi.AssetArchive({"index.js": pulumi.StringAsset(LAMBDA_CODE)}),
            architectures=["arm64"],
            memory_size=1024,
            timeout=30,
            reserved_concurrent_executions=100,  # Prevent throttling
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            # Environment variables with encryption
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={
                    "DATABASE_URL": "placeholder-database-url",
                    "API_KEY": "placeholder-api-key",
                }
            ),
            tags=resource_tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group]),
        )

        aws.lambda_.ProvisionedConcurrencyConfig(
            f"lambda-provisioned-concurrency-{environment_suffix}",
            function_name=lambda_function.name,
            qualifier=lambda_function.version,  # This resolves to "$LATEST"
            provisioned_concurrent_executions=5,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.lambda_function_arn = lambda_function.arn
        self.lambda_function_name = lambda_function.name
        self.log_group_name = log_group.name
        self.iam_role_arn = lambda_role.arn

        self.register_outputs(
            {
                "lambdaFunctionArn": self.lambda_function_arn,
                "lambdaFunctionName": self.lambda_function_name,
                "logGroupName": self.log_group_name,
                "iamRoleArn": self.iam_role_arn,
            }
        )
