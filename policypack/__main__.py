"""`python -m policypack <command> ...`: the tools' command line (`lambda_guardrails.cli`, the same as the
`lambda-guardrails` command). It belongs to the tools, not to the runtime pack, and is not published."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    from lambda_guardrails.cli import main

    sys.exit(main(prog="python -m policypack"))
