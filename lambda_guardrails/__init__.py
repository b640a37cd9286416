"""The tools around the aws-lambda-guardrails pack: the offline check, the guide generator, `check_program`."""
