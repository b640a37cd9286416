"""aws-lambda-guardrails: a Pulumi CrossGuard policy pack for AWS Lambda, and its offline check."""
