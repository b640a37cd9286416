"""The offline check: `python -m policypack check` runs a Pulumi program under mocks against policy packs."""
