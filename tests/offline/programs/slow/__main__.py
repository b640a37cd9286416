import time

import pulumi_aws as aws

aws.kms.Key("slow-key", enable_key_rotation=True)
time.sleep(30)
