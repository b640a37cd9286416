import pulumi
import pulumi_aws as aws

config = pulumi.Config()
config_echo = {
    "replicas": config.get("replicas"),
    "enabled": config.get("enabled"),
    "settings": config.get("settings"),
    "owner": config.get("owner"),
}


class Service(pulumi.ComponentResource):
    def __init__(self, name: str, role: aws.iam.Role, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("offline:index:Service", name, {"role": role}, opts)
        self.worker = Worker(f"{name}-worker", pulumi.ResourceOptions(parent=self))
        self.fn = aws.lambda_.Function(
            f"{name}-fn",
            role=role.arn,
            runtime="python3.12",
            handler="index.handler",
            code=pulumi.FileArchive("."),
            environment={"variables": {"API_KEY": config.require_secret("apiKey")}},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"functionName": self.fn.name})


class Worker(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("offline:index:Worker", name, None, opts)
        self.logs = aws.cloudwatch.LogGroup(
            f"{name}-logs", retention_in_days=7, opts=pulumi.ResourceOptions(parent=self)
        )
        self.register_outputs({})


identity = aws.get_caller_identity()
region = aws.get_region()
partition = aws.get_partition()

trust = aws.iam.get_policy_document(
    statements=[
        aws.iam.GetPolicyDocumentStatementArgs(
            sid="AssumeFromLambda",
            actions=["sts:AssumeRole"],
            principals=[
                aws.iam.GetPolicyDocumentStatementPrincipalArgs(
                    type="Service", identifiers=["lambda.amazonaws.com", "edgelambda.amazonaws.com"]
                )
            ],
            conditions=[
                aws.iam.GetPolicyDocumentStatementConditionArgs(
                    test="StringEquals", variable="aws:SourceAccount", values=[identity.account_id]
                )
            ],
        )
    ]
)
role = aws.iam.Role("svc-role", assume_role_policy=trust.json)
service = Service("svc", role)

table = aws.dynamodb.Table("events", hash_key="id", attributes=[{"name": "id", "type": "S"}])
queue = aws.sqs.Queue("jobs", name_prefix="jobs-")
access = aws.iam.get_policy_document_output(
    statements=[
        aws.iam.GetPolicyDocumentStatementArgs(actions=["dynamodb:Query"], resources=[table.arn]),
        aws.iam.GetPolicyDocumentStatementArgs(
            actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]
        ),
    ]
)
aws.iam.RolePolicy("svc-access", role=role.name, policy=access.json)

west = aws.Provider(
    "west",
    region="us-west-2",
    default_tags=aws.ProviderDefaultTagsArgs(tags={"Team": "west-team"}),
)
key = aws.kms.Key("west-key", enable_key_rotation=True, opts=pulumi.ResourceOptions(provider=west))
aws.kms.Alias("west-key-alias", target_key_id=key.key_id, opts=pulumi.ResourceOptions(provider=west))

pulumi.export("account", identity.account_id)
pulumi.export("region", region.region)
pulumi.export("partition", partition.partition)
pulumi.export("trust", trust.json)
pulumi.export("config", config_echo)
pulumi.export("keyArn", key.arn)
