"""A VPC and a load-balanced Fargate service from awsx (remote components, as in pulumi/examples' aws-py-fargate),
next to resources of the program's own."""

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

vpc = awsx.ec2.Vpc("vpc", number_of_availability_zones=2)
cluster = aws.ecs.Cluster("cluster")
lb = awsx.lb.ApplicationLoadBalancer("lb", subnet_ids=vpc.public_subnet_ids)
service = awsx.ecs.FargateService(
    "service",
    cluster=cluster.arn,
    network_configuration={"subnets": vpc.private_subnet_ids, "assign_public_ip": False},
    task_definition_args={
        "container": {
            "name": "web",
            "image": "nginx:latest",
            "cpu": 128,
            "memory": 512,
            "essential": True,
            "port_mappings": [{"container_port": 80, "target_group": lb.default_target_group}],
        }
    },
)
aws.sqs.Queue("work", tags={"Owner": "team"})
pulumi.export("vpcId", vpc.vpc_id)
pulumi.export("url", lb.load_balancer.dns_name.apply(lambda name: f"http://{name}"))
