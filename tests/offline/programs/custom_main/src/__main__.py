import pulumi
import pulumi_aws as aws
from helpers import table_name  # found because the program's directory is on sys.path

table = aws.dynamodb.Table(table_name(), hash_key="id", attributes=[{"name": "id", "type": "S"}])
pulumi.export("tableArn", table.arn)
