import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface ServiceArgs {
  memorySize: number;
}

export class Service extends pulumi.ComponentResource {
  public readonly functionName: pulumi.Output<string>;

  constructor(name: string, args: ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('twins:index:Service', name, {}, opts);
    const role = new aws.iam.Role(`${name}-role`, {
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }],
      }),
    }, { parent: this });
    const fn = new aws.lambda.Function(`${name}-fn`, {
      runtime: 'python3.12',
      handler: 'app.handler',
      role: role.arn,
      code: new pulumi.asset.FileArchive('./app'),
      memorySize: args.memorySize,
      reservedConcurrentExecutions: 100,
    }, { parent: this });
    new aws.lambda.ProvisionedConcurrencyConfig(`${name}-warm`, {
      functionName: fn.name,
      qualifier: fn.version,
      provisionedConcurrentExecutions: 2,
    }, { parent: this });
    this.functionName = fn.name;
    this.registerOutputs({ functionName: fn.name });
  }
}
