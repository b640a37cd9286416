import * as pulumi from '@pulumi/pulumi';
const key = new pulumi.Config().requireSecret('apiKey');
key.apply(k => { throw new Error(`the key ${k} is rejected
second line`); });
