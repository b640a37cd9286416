"""aws-lambda-guardrails: a Pulumi CrossGuard policy pack for AWS Lambda (the runtime pack)."""
