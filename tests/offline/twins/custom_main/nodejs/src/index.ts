import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

const config = new pulumi.Config();

new aws.cloudwatch.LogGroup('audit-logs', {
  retentionInDays: 3,
  tags: { Environment: 'production', Team: config.require('team'), Stack: pulumi.getStack() },
});
