import json

import pulumi
import pulumi_aws as aws


class Service(pulumi.ComponentResource):
    def __init__(self, name: str, memory_size: int, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("twins:index:Service", name, {}, opts)
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                               "Principal": {"Service": "lambda.amazonaws.com"}}],
            }),
            opts=pulumi.ResourceOptions(parent=self),
        )
        fn = aws.lambda_.Function(
            f"{name}-fn",
            runtime="python3.12",
            handler="app.handler",
            role=role.arn,
            code=pulumi.FileArchive("./app"),
            memory_size=memory_size,
            reserved_concurrent_executions=100,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.lambda_.ProvisionedConcurrencyConfig(
            f"{name}-warm",
            function_name=fn.name,
            qualifier=fn.version,
            provisioned_concurrent_executions=2,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.function_name = fn.name
        self.register_outputs({"functionName": fn.name})
