import json

import pulumi
import pulumi_aws as aws

role = aws.iam.Role(
    "worker-role",
    assume_role_policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
        ],
    }),
)

aws.iam.RolePolicy(
    "worker-everything",
    role=role.id,
    policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
)

pulumi.export("roleArn", role.arn)
