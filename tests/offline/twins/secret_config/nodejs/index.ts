import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

const config = new pulumi.Config();

new aws.lambda.Function('api', {
  runtime: 'python3.12',
  handler: 'app.handler',
  role: 'arn:aws:iam::123456789012:role/api',
  code: new pulumi.asset.FileArchive('./app'),
  environment: { variables: { API_KEY: config.requireSecret('apiKey'), DB_PASSWORD: 'hunter2-hunter2' } },
});
