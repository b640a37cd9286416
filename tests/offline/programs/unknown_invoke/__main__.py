import pulumi
import pulumi_aws as aws

# A data source the installed pulumi_aws does not declare (from a newer provider, say): nothing to answer it from.
result = pulumi.runtime.invoke("aws:ec2/getNoSuchThing:getNoSuchThing", {"name": "x"})
aws.kms.Key("after-the-invoke", description=result.value["id"])
