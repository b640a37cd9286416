import pulumi_aws as aws

ami = aws.ec2.get_ami(most_recent=True, owners=["amazon"])
aws.kms.Key("after-the-invoke", description=ami.id)
