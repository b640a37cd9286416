import pulumi
import pulumi_aws as aws

config = pulumi.Config()

aws.cloudwatch.LogGroup(
    "audit-logs",
    retention_in_days=3,
    tags={"Environment": "production", "Team": config.require("team"), "Stack": pulumi.get_stack()},
)
