import * as pulumi from '@pulumi/pulumi';
const key = new pulumi.Config().require('apiKey');
throw new Error(`the key ${key} is not valid here
second line`);
