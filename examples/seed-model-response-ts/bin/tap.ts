// Entry point of the seed's TapStack (MODEL_RESPONSE, flaws kept).
import * as pulumi from '@pulumi/pulumi';
import { TapStack } from '../lib/tap-stack';

const config = new pulumi.Config();
const environmentSuffix = config.get('environmentSuffix') || 'dev';

const stack = new TapStack('tap-stack', { environmentSuffix });

export const lambdaFunctionArn = stack.lambdaFunctionArn;
export const lambdaFunctionName = stack.lambdaFunctionName;
export const logGroupName = stack.logGroupName;
export const iamRoleArn = stack.iamRoleArn;
