import * as pulumi from '@pulumi/pulumi';

const config = new pulumi.Config();
config.requireSecret('apiKey').apply((key) => {
  throw new Error(`the key ${key} is not valid here
second line`);
});
