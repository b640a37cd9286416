"""Two resources with one type and name: `pulumi preview` stops with "Duplicate resource URN"."""

import pulumi_aws as aws

TAGS = {"Environment": "development", "Team": "t", "CostCenter": "c"}
aws.sqs.Queue("jobs", name="jobs-dev", tags=TAGS)
aws.sqs.Queue("jobs", name="jobs-dev-2", tags=TAGS)
