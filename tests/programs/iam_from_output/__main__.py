"""A document built from `table.arn`: unknown at preview, and granting `dynamodb:*` once known."""

import json

import pulumi_aws as aws

tags = {"Environment": "development", "Team": "payments", "CostCenter": "fintech"}
table = aws.dynamodb.Table("orders", name="orders-dev", hash_key="id", attributes=[{"name": "id", "type": "S"}],
                           billing_mode="PAY_PER_REQUEST", tags=tags)
role = aws.iam.Role("role", name="orders-role-dev", tags=tags, assume_role_policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]}))
aws.iam.RolePolicy("orders-access", name="orders-access-dev", role=role.id, policy=table.arn.apply(
    lambda arn: json.dumps({"Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": arn}]})))
