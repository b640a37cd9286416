import pulumi
import pulumi_aws as aws


class Service(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("example:index:Service", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.queue = aws.sqs.Queue(f"{name}-queue", opts=child)
        self.register_outputs({"queue": self.queue.arn})
