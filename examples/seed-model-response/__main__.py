"""Entry point of the seed's TapStack translation (MODEL_RESPONSE, flaws kept)."""

import pulumi
from tap_stack import TapStack, TapStackArgs

config = pulumi.Config()
environment_suffix = config.get("environmentSuffix") or "dev"

stack = TapStack("tap-stack", TapStackArgs(environment_suffix=environment_suffix))

pulumi.export("lambdaFunctionArn", stack.lambda_function_arn)
pulumi.export("lambdaFunctionName", stack.lambda_function_name)
pulumi.export("logGroupName", stack.log_group_name)
pulumi.export("iamRoleArn", stack.iam_role_arn)
