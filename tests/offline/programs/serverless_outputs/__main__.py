"""API Gateway, API Gateway v2, AppSync and ECR outputs used by other resources, as in pulumi/examples'
aws-py-apigateway-lambda-serverless and aws-py-appsync; a policy given as a dict and referenced by another resource."""

import json

import pulumi
import pulumi_aws as aws

role = aws.iam.Role(
    "handler-role",
    assume_role_policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                       "Action": "sts:AssumeRole"}],
    }),
)
logs = aws.iam.Policy(
    "handler-logs",
    policy={
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                       "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/*"}],
    },
)
aws.iam.RolePolicyAttachment("handler-logs", role=role.name, policy_arn=logs.arn)
handler = aws.lambda_.Function(
    "handler",
    runtime="python3.12",
    handler="handler.handler",
    role=role.arn,
    code=pulumi.AssetArchive({"handler.py": pulumi.StringAsset("def handler(event, context):\n    return {}\n")}),
    environment={"variables": {"POLICY": logs.policy}},
)

rest = aws.apigateway.RestApi("api", description="serverless example")
proxy = aws.apigateway.Resource("proxy", rest_api=rest.id, parent_id=rest.root_resource_id, path_part="{proxy+}")
method = aws.apigateway.Method("proxy", rest_api=rest.id, resource_id=proxy.id, http_method="ANY",
                               authorization="NONE")
integration = aws.apigateway.Integration("proxy", rest_api=rest.id, resource_id=proxy.id,
                                         http_method=method.http_method, integration_http_method="POST",
                                         type="AWS_PROXY", uri=handler.invoke_arn)
deployment = aws.apigateway.Deployment("api", rest_api=rest.id, opts=pulumi.ResourceOptions(depends_on=[integration]))
stage = aws.apigateway.Stage("api", rest_api=rest.id, deployment=deployment.id, stage_name="prod")
aws.lambda_.Permission("api", action="lambda:InvokeFunction", function=handler.name,
                       principal="apigateway.amazonaws.com",
                       source_arn=rest.execution_arn.apply(lambda arn: arn + "/*/*"))

http = aws.apigatewayv2.Api("http", protocol_type="HTTP")
http_stage = aws.apigatewayv2.Stage("http", api_id=http.id, name="$default", auto_deploy=True)
aws.lambda_.Permission("http", action="lambda:InvokeFunction", function=handler.name,
                       principal="apigateway.amazonaws.com",
                       source_arn=pulumi.Output.concat(http.execution_arn, "/*/*"))

graphql = aws.appsync.GraphQLApi("graphql", authentication_type="API_KEY")
repository = aws.ecr.Repository("images")
token = aws.ecr.get_authorization_token_output(registry_id=repository.registry_id)

pulumi.export("restUrl", stage.invoke_url.apply(lambda url: url + "/"))
pulumi.export("httpHost", http.api_endpoint.apply(lambda url: url.split("://", 1)[1]))
pulumi.export("httpUrl", http_stage.invoke_url)
pulumi.export("graphql", graphql.uris.apply(lambda uris: uris["GRAPHQL"]))
pulumi.export("image", repository.repository_url.apply(lambda url: url + ":latest"))
pulumi.export("registryUser", token.user_name)
pulumi.export("policyLength", logs.policy.apply(len))
