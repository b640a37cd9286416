"""Every data source the offline check answers by name, and two it answers from the SDK's result types."""

import base64

import pulumi
import pulumi_aws as aws

zones = aws.get_availability_zones(state="available")
ami = aws.ec2.get_ami(most_recent=True, owners=["amazon"],
                      filters=[{"name": "name", "values": ["amzn2-ami-hvm-*-x86_64-gp2"]}])
vpc = aws.ec2.get_vpc(default=True)
subnets = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}])
subnet = aws.ec2.get_subnet(id=subnets.ids[0])
group = aws.ec2.get_security_group(vpc_id=vpc.id, name="default")
zone = aws.route53.get_zone(name="example.com.")
token = aws.ecr.get_authorization_token()
role = aws.iam.get_role(name="existing-role")
policy = aws.iam.get_policy(name="existing-policy")
parameter = aws.ssm.get_parameter(name="/app/setting")
secret = aws.secretsmanager.get_secret(name="app-secret")
key = aws.kms.get_key(key_id="alias/app")
alias = aws.kms.get_alias(name="alias/app")
caller = aws.get_caller_identity()
region = aws.get_region()
# Two data sources the check has no answer of its own for.
topic = aws.sns.get_topic(name="alerts")
types = aws.ec2.get_instance_types(filters=[{"name": "current-generation", "values": ["true"]}])

assert subnet.vpc_id == vpc.id and subnet.availability_zone in zones.names
assert group.vpc_id == vpc.id and len(subnets.ids) == len(zones.names)
assert base64.b64decode(token.authorization_token).decode().startswith(token.user_name + ":")
assert key.arn == f"arn:aws:kms:{region.name}:{caller.account_id}:key/{key.key_id}"

server = aws.ec2.Instance(
    "server",
    ami=ami.id,
    instance_type=types.instance_types[0],
    subnet_id=subnet.id,
    vpc_security_group_ids=[group.id],
    tags={"Zone": zone.zone_id},
)
aws.route53.Record("www", zone_id=zone.zone_id, name=f"www.{zone.name}", type="A", ttl=300,
                   records=[server.private_ip])
aws.sns.TopicSubscription("alerts", topic=topic.arn, protocol="email", endpoint="ops@example.com")
aws.iam.RolePolicyAttachment("existing", role=role.name, policy_arn=policy.arn)
pulumi.export("secretArn", secret.arn)
pulumi.export("aliasTarget", alias.target_key_arn)
pulumi.export("parameterType", parameter.type)
