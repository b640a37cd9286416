"""Every string a policy reads holds a distinctive value marked ZQX; the reports must never show one. Physical
names the program set are marked NMQ instead: a name is not a secret, and the suffix policy shows it; a name
marked secret is marked ZQX like every other secret."""

import json

import pulumi
import pulumi_aws as aws


def mark(field: str) -> str:
    return f"ZQX-{field}-ZQX"


def name(field: str) -> str:
    return f"NMQ-{field}-NMQ"


tags = {"Environment": mark("environment"), "Team": mark("team"), "CostCenter": ""}
role = aws.iam.Role(
    "role",
    name=name("role name with spaces"),
    assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": mark("principal")}}]}),
    tags=tags,
)
key = aws.kms.Key("key", description=mark("key description"), enable_key_rotation=False, deletion_window_in_days=45,
                  tags=tags)
aws.kms.Alias("key-alias", name=f"alias/aws/{name('alias')}", target_key_id=key.key_id)
aws.cloudwatch.LogGroup("logs", name=name("log group!"), retention_in_days=45, tags=tags)
fn = aws.lambda_.Function(
    "fn",
    name=name("function name with spaces"),
    role=role.arn,
    runtime="python3.12",
    handler="index.handler",
    code=pulumi.AssetArchive({"index.py": pulumi.StringAsset(mark("inline code"))}),
    kms_key_arn=f"arn:aws:kms:us-east-1:123456789012:alias/aws/{mark('kms')}",
    reserved_concurrent_executions=1000,
    memory_size=20000,
    timeout=900,
    tracing_config={"mode": mark("tracing")},
    logging_config={"log_format": "JSON", "log_group": mark("custom group")},
    environment={"variables": {
        "API_KEY": mark("api key"),
        "DB_PASSWORD": pulumi.Output.secret(mark("secret output")),
        "DATABASE_URL": f"postgres://admin:{mark('url password')}@db:5432/x",
        "AWS_ACCESS": "AKIAZQXZQXZQXZQXZQX1",
        "PLACEHOLDER": f"<{mark('angle')}>",
        "NOTE": f"todo {mark('todo')}",
    }},
    tags=tags,
)
alias = aws.lambda_.Alias("live", name=name("alias"), function_name=fn.name, function_version="$LATEST")
aws.lambda_.ProvisionedConcurrencyConfig("pc", function_name=fn.name, qualifier=mark("qualifier"),
                                         provisioned_concurrent_executions=5)
aws.dynamodb.Table("table", name=name("t"), hash_key="id", attributes=[{"name": "id", "type": "S"}],
                   billing_mode="PAY_PER_REQUEST", tags=tags)
aws.sqs.Queue("queue", name=pulumi.Output.secret(mark("secret queue name")), tags=tags)
