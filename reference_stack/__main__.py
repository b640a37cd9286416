"""Reads stack config, builds the transaction processor and exports what deployments and pipelines need."""

import pulumi
from processor_args import load_args
from transaction_processor import TransactionProcessor

args = load_args(pulumi.Config().get, pulumi.get_stack())
processor = TransactionProcessor("transaction-processor", args)

pulumi.export("functionName", processor.function.name)
pulumi.export("functionArn", processor.function.arn)
pulumi.export("functionVersion", processor.function.version)
pulumi.export("aliasName", processor.alias.name)
pulumi.export("aliasArn", processor.alias.arn)
pulumi.export("logGroupName", processor.log_group.name)
pulumi.export("roleArn", processor.role.arn)
pulumi.export("keyArn", processor.key.arn)
pulumi.export("tableName", processor.table.name)
