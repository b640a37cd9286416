// The seed's MODEL_RESPONSE TapStack, with its flaws kept on purpose: each is one the policy pack must catch
// (see README.md). Do not fix them here.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { ResourceOptions } from '@pulumi/pulumi';

export interface TapStackArgs {
  environmentSuffix?: string;
  tags?: pulumi.Input<{ [key: string]: string }>;
}

const lambdaCode = `
exports.handler = async (event) => {
  console.log('Processing financial transaction:', JSON.stringify(event));

  const dbUrl = process.env.DATABASE_URL;
  const apiKey = process.env.API_KEY;

  const response = {
    statusCode: 200,
    body: JSON.stringify({
      message: 'Transaction processed successfully',
      timestamp: new Date().toISOString(),
    }),
  };

  return response;
};
`;

export class TapStack extends pulumi.ComponentResource {
  public readonly lambdaFunctionArn: pulumi.Output<string>;
  public readonly lambdaFunctionName: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;
  public readonly iamRoleArn: pulumi.Output<string>;

  constructor(name: string, args: TapStackArgs, opts?: ResourceOptions) {
    super('tap:stack:TapStack', name, args, opts);

    const environmentSuffix = args.environmentSuffix || 'dev';
    const baseTags = args.tags || {};
    const resourceTags = {
      ...baseTags,
      Environment: 'production',
      Team: 'payments',
      CostCenter: 'fintech',
    };

    const lambdaRole = new aws.iam.Role(
      `lambda-transaction-role-${environmentSuffix}`,
      {
        name: `lambda-transaction-role-${environmentSuffix}`,
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Principal: { Service: 'lambda.amazonaws.com' },
              Effect: 'Allow',
            },
          ],
        }),
        tags: resourceTags,
      },
      { parent: this }
    );

    new aws.iam.RolePolicyAttachment(
      `lambda-basic-execution-${environmentSuffix}`,
      {
        role: lambdaRole.name,
        policyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      },
      { parent: this }
    );

    new aws.iam.RolePolicy(
      `lambda-dynamodb-policy-${environmentSuffix}`,
      {
        role: lambdaRole.id,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: [
                'dynamodb:GetItem',
                'dynamodb:PutItem',
                'dynamodb:UpdateItem',
                'dynamodb:Query',
                'dynamodb:Scan',
                'dynamodb:BatchGetItem',
                'dynamodb:BatchWriteItem',
              ],
              Resource: 'arn:aws:dynamodb:*:*:table/*', // Too permissive
            },
          ],
        }),
      },
      { parent: this }
    );

    const logGroup = new aws.cloudwatch.LogGroup(
      `lambda-log-group-${environmentSuffix}`,
      {
        name: `/aws/lambda/transaction-processor-${environmentSuffix}`,
        retentionInDays: 7,
        tags: resourceTags,
      },
      { parent: this }
    );

    const lambdaFunction = new aws.lambda.Function(
      `transaction-processor-${environmentSuffix}`,
      {
        name: `transaction-processor-${environmentSuffix}`,
        runtime: aws.lambda.Runtime.NodeJS20dX,
        handler: 'index.handler',
        role: lambdaRole.arn,
        code: new pulumi.asset.AssetArchive({
          'index.js': new pulumi.asset.StringAsset(lambdaCode),
        }),
        architectures: ['arm64'],
        memorySize: 1024,
        timeout: 30,
        reservedConcurrentExecutions: 100, // Prevent throttling
        tracingConfig: {
          mode: 'Active',
        },
        // Environment variables with encryption
        environment: {
          variables: {
            DATABASE_URL: 'placeholder-database-url',
            API_KEY: 'placeholder-api-key',
          },
        },
        tags: resourceTags,
      },
      { parent: this, dependsOn: [logGroup] }
    );

    new aws.lambda.ProvisionedConcurrencyConfig(
      `lambda-provisioned-concurrency-${environmentSuffix}`,
      {
        functionName: lambdaFunction.name,
        qualifier: lambdaFunction.version, // This resolves to "$LATEST"
        provisionedConcurrentExecutions: 5,
      },
      { parent: this }
    );

    this.lambdaFunctionArn = lambdaFunction.arn;
    this.lambdaFunctionName = lambdaFunction.name;
    this.logGroupName = logGroup.name;
    this.iamRoleArn = lambdaRole.arn;

    this.registerOutputs({
      lambdaFunctionArn: this.lambdaFunctionArn,
      lambdaFunctionName: this.lambdaFunctionName,
      logGroupName: this.logGroupName,
      iamRoleArn: this.iamRoleArn,
    });
  }
}
