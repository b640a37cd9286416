import json

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
memory = config.get_int("memorySize") or 128
token = config.require_secret("apiToken")

key = aws.kms.Key("env-key", enable_key_rotation=True)
role = aws.iam.Role(
    "fn-role",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    ),
)
table = aws.dynamodb.Table(
    "orders",
    attributes=[aws.dynamodb.TableAttributeArgs(name="id", type="S")],
    hash_key="id",
    billing_mode="PAY_PER_REQUEST",
)
doc = aws.iam.get_policy_document_output(
    statements=[
        aws.iam.GetPolicyDocumentStatementArgs(actions=["dynamodb:GetItem", "dynamodb:PutItem"], resources=[table.arn])
    ]
)
aws.iam.RolePolicy("fn-policy", role=role.id, policy=doc.json)
fn = aws.lambda_.Function(
    "handler",
    role=role.arn,
    runtime="python3.12",
    handler="index.handler",
    code=pulumi.AssetArchive({"index.py": pulumi.StringAsset("def handler(e, c):\n    return 1\n")}),
    memory_size=memory,
    publish=True,
    kms_key_arn=key.arn,
    environment=aws.lambda_.FunctionEnvironmentArgs(variables={"TABLE": table.name, "API_TOKEN": token}),
)
alias = aws.lambda_.Alias("live", function_name=fn.name, function_version=fn.version)
aws.cloudwatch.LogGroup("handler-logs", name=fn.name.apply(lambda n: f"/aws/lambda/{n}"), retention_in_days=14)
pulumi.export("functionArn", fn.arn)
pulumi.export("aliasName", alias.name)
