import * as aws from '@pulumi/aws';

const retention: number = ;
new aws.cloudwatch.LogGroup('logs', { retentionInDays: retention });
