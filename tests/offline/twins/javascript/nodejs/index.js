"use strict";
const aws = require("@pulumi/aws");

const role = new aws.iam.Role("worker-role", {
    assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } }],
    }),
});

new aws.iam.RolePolicy("worker-everything", {
    role: role.id,
    policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
    }),
});

exports.roleArn = role.arn;
