import * as aws from '@pulumi/aws';

const tagged = new aws.Provider('tagged', {
  region: 'us-west-2',
  defaultTags: { tags: { Environment: 'production', Team: 'payments' } },
});

new aws.kms.Key('data-key', { description: 'data', enableKeyRotation: false }, { provider: tagged });
new aws.cloudwatch.LogGroup('app-logs', { retentionInDays: 14 }, { provider: tagged });
