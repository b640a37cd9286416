"""`python -m signal_in_exec SIGNAL PROGRAM_DIR`: the check, interrupted inside a string `exec`.

pulumi's import runs such execs (dataclasses, namedtuples), and a signal can land in one; CPython's `-m`
then remembers an escaping KeyboardInterrupt and exits by SIGINT whatever the exit code was.
"""

import sys

from lambda_guardrails.cli import main
from lambda_guardrails.offline import cli
from lambda_guardrails.offline.check import CheckOptions, CheckRun


def _run_check(options: CheckOptions, pids: list[int] | None = None) -> CheckRun:
    exec(f"import signal; signal.raise_signal(signal.{sys.argv[1]})")
    raise AssertionError("the signal did not interrupt the check")


cli.run_check = _run_check
sys.exit(main(["check", sys.argv[2]]))
