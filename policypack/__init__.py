"""aws-lambda-guardrails: a Pulumi CrossGuard policy pack for AWS Lambda (the runtime pack)."""

__version__ = "0.1.0"
