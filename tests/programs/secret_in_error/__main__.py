"""The SDK's type check quotes the offending property value; the check's error line must not."""

import pulumi_aws as aws

# A dict where the SDK's output is a number: the provider (and the check) echo it, and the SDK's type check raises.
aws.sqs.Queue("queue", delay_seconds={"Resource": "ZQX-error-secret-ZQX"})
