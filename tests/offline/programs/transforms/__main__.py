import pulumi
import pulumi_aws as aws


def team_tags(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    if args.type_ != "aws:kms/key:Key":
        return None
    return pulumi.ResourceTransformResult(
        {**args.props, "tags": {**(args.props.get("tags") or {}), "Team": "platform"}}, args.opts
    )


async def retention(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    if args.type_ != "aws:cloudwatch/logGroup:LogGroup":
        return None
    return pulumi.ResourceTransformResult({**args.props, "retentionInDays": 14}, args.opts)


pulumi.runtime.register_resource_transform(team_tags)

role = aws.iam.Role("role", assume_role_policy="{}")
key = aws.kms.Key("key", description=role.arn, tags={"Owner": "me"})
group = pulumi.ComponentResource("offline:index:Group", "group", None, pulumi.ResourceOptions(transforms=[retention]))
aws.cloudwatch.LogGroup("logs", opts=pulumi.ResourceOptions(parent=group))
