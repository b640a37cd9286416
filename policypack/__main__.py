"""`python -m policypack <command> ...`: one function per subcommand, imported only when it runs."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

# Each subcommand is "module:function"; the function takes the remaining arguments and returns the exit code.
SUBCOMMANDS: dict[str, str] = {
    "check": "lambda_guardrails.offline.cli:main",
    "docs": "lambda_guardrails.guide:main",
}


def usage() -> str:
    return f"usage: python -m policypack {{{','.join(SUBCOMMANDS)}}} [ARGS...]"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage(), file=sys.stdout if args else sys.stderr)
        return 0 if args else 2
    target = SUBCOMMANDS.get(args[0])
    if target is None:
        sys.stderr.write(f"error: unknown command '{args[0]}'; {usage()}\n")
        return 2
    module, _, function = target.partition(":")
    command: Callable[[list[str]], int] = getattr(importlib.import_module(module), function)
    return command(args[1:])


if __name__ == "__main__":
    sys.exit(main())
