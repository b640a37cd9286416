"""NaN and infinities in untyped properties: the engine carries them, so the check must too."""

import pulumi
import pulumi_aws as aws


def odd_numbers(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult:
    return pulumi.ResourceTransformResult({**args.props, "x": float("nan"), "y": float("-inf")}, args.opts)


aws.sqs.Queue("q", name="q-dev", tags={"Environment": "development", "Team": "t", "CostCenter": "c"},
              opts=pulumi.ResourceOptions(transforms=[odd_numbers]))
