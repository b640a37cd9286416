"""The SDK's type check quotes the offending property value; the check's error line must not."""

import pulumi_aws as aws

aws.iam.RolePolicy("policy", role="r", policy={"Statement": [{"Resource": "ZQX-error-secret-ZQX"}]})
