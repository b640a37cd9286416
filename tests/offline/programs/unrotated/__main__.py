import pulumi
import pulumi_aws as aws

key = aws.kms.Key("plain-key", description="no rotation", tags={"Team": "platform"})
role = aws.iam.Role("fn-role", assume_role_policy='{"Version": "2012-10-17", "Statement": []}')
fn = aws.lambda_.Function(
    "big-fn",
    role=role.arn,
    runtime="python3.12",
    handler="index.handler",
    code=pulumi.AssetArchive({"index.py": pulumi.StringAsset("def handler(e, c): pass\n")}),
    memory_size=1024,
    kms_key_arn=key.arn,
)
pulumi.export("keyRotation", key.enable_key_rotation)
