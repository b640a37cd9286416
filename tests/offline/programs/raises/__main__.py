import pulumi_aws as aws

aws.kms.Key("before-the-error", enable_key_rotation=True)
raise ValueError("the program cannot go on: boom")
