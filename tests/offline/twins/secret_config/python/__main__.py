import pulumi
import pulumi_aws as aws

config = pulumi.Config()

aws.lambda_.Function(
    "api",
    runtime="python3.12",
    handler="app.handler",
    role="arn:aws:iam::123456789012:role/api",
    code=pulumi.FileArchive("./app"),
    environment=aws.lambda_.FunctionEnvironmentArgs(
        variables={"API_KEY": config.require_secret("apiKey"), "DB_PASSWORD": "hunter2-hunter2"}
    ),
)
