"""The `lambda-guardrails` command (and `python -m policypack`): one function per subcommand, imported only when
it runs."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

# Each subcommand is "module:function"; the function takes the remaining arguments and returns the exit code.
SUBCOMMANDS: dict[str, str] = {
    "check": "lambda_guardrails.offline.cli:main",
    "docs": "lambda_guardrails.guide:main",
    "pack-dir": "lambda_guardrails.layout:pack_dir_main",
    "publish-dir": "lambda_guardrails.layout:publish_dir_main",
    "new-policy": "lambda_guardrails.scaffold:main",
}


OWN_PACKAGES = ("policypack", "lambda_guardrails")


def usage(prog: str) -> str:
    return f"usage: {prog} {{{','.join(SUBCOMMANDS)}}} [ARGS...]"


def main(argv: Sequence[str] | None = None, prog: str = "lambda-guardrails") -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage(prog), file=sys.stdout if args else sys.stderr)
        return 0 if args else 2
    target = SUBCOMMANDS.get(args[0])
    if target is None:
        sys.stderr.write(f"error: unknown command '{args[0]}'; {usage(prog)}\n")
        return 2
    module, _, function = target.partition(":")
    try:
        command: Callable[[list[str]], int] = getattr(importlib.import_module(module), function)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in OWN_PACKAGES:
            raise
        sys.stderr.write(f"error: {args[0]} needs the module {exc.name}, which is not installed: "
                         f"pip install 'aws-lambda-guardrails[check]'\n")
        return 2
    return command(args[1:])


def run() -> None:
    """The console script's entry point."""
    sys.exit(main())
