import pulumi_aws as aws


def bucket(name: str) -> aws.s3.Bucket:
    return aws.s3.Bucket(name, force_destroy=True)
