import pulumi
import pulumi_aws as aws

tagged = aws.Provider(
    "tagged",
    region="us-west-2",
    default_tags=aws.ProviderDefaultTagsArgs(tags={"Environment": "production", "Team": "payments"}),
)

aws.kms.Key("data-key", description="data", enable_key_rotation=False, opts=pulumi.ResourceOptions(provider=tagged))
aws.cloudwatch.LogGroup("app-logs", retention_in_days=14, opts=pulumi.ResourceOptions(provider=tagged))
