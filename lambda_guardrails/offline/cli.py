"""`python -m policypack check`: flags, output and exit codes as docs/check.md states them."""

from __future__ import annotations

import argparse
import os
import signal
import stat
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from .check import MODES, CheckOptions, CheckRun, run_check
from .errors import CheckError
from .report import FORMATS, escape_controls

EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"error: {message} (see python -m policypack check --help)\n")
        raise SystemExit(EXIT_ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m policypack check",
        description="Run a Pulumi Python program under mocks against policy packs, as `pulumi preview "
        "--policy-pack` would, without the Pulumi CLI, a backend or cloud credentials.",
    )
    parser.add_argument("program_dir", nargs="?", default=".", metavar="PROGRAM_DIR", help="default: .")
    parser.add_argument("--stack", help="default: the only Pulumi.<stack>.yaml, else dev")
    parser.add_argument("--mode", choices=MODES, default="preview", help="default: preview")
    parser.add_argument("--policy-pack", action="append", default=[], metavar="DIR", help="repeatable")
    parser.add_argument(
        "--policy-pack-config", action="append", default=[], metavar="FILE", help="pairs with --policy-pack, in order"
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="default: text")
    parser.add_argument("--output", metavar="FILE", help="write the report there instead of standard output")
    parser.add_argument("--verbose", action="store_true", help="tracebacks, program output and pack stderr")
    return parser


class _Interrupted(BaseException):
    """Raised by SIGINT and SIGTERM in place of KeyboardInterrupt.

    A KeyboardInterrupt that leaves a string `exec` (dataclasses and namedtuples run one at import) makes
    CPython's `python -m` exit by SIGINT whatever the exit code, even when the check catches it.
    """


class _Interrupts:
    """While open, SIGINT and SIGTERM raise _Interrupted, unless the parent process ignores them.

    Library code can swallow the exception and raise another one in its place (dill, imported with pulumi,
    does so when the signal lands inside its import), so the check asks `received` as well.
    """

    def __init__(self) -> None:
        self.received = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Interrupts:
        for signum in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(signum) is not signal.SIG_IGN:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> NoReturn:
        self.received = True
        raise _Interrupted


def _new_file_mode(path: Path) -> int:
    """An existing file's mode, else what `open()` would give under the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def output_problem(raw: str) -> str | None:
    """Why the report could not be written to `raw`, found before the check runs; None when it can."""
    path = Path(raw)
    if raw == "-" or (path.exists() and not path.is_file()):
        return None if raw == "-" or os.access(path, os.W_OK) else "it is not writable"
    resolved = path.resolve()
    if not resolved.parent.is_dir():
        return "its directory does not exist"
    if not os.access(resolved.parent, os.W_OK | os.X_OK) or (resolved.exists() and not os.access(resolved, os.W_OK)):
        return "it is not writable"
    return None


def write_output(raw: str, text: str) -> None:
    """`-` is standard output; a device or pipe is written in place; a file is replaced atomically (through a
    symlink, the file it points to)."""
    path = Path(raw)
    if raw == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    elif path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        write_atomically(path.resolve(), text)


def write_atomically(path: Path, text: str) -> None:
    mode = _new_file_mode(path)
    descriptor, temporary = tempfile.mkstemp(dir=path.resolve().parent, prefix=f".{path.name}.")
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _options(args: argparse.Namespace) -> CheckOptions:
    return CheckOptions(
        program_dir=Path(args.program_dir),
        stack=args.stack,
        mode=args.mode,
        policy_packs=[Path(p) for p in args.policy_pack],
        policy_configs=[Path(p) for p in args.policy_pack_config],
    )


def _print_verbose(run: CheckRun) -> None:
    if run.program_output.strip():
        sys.stderr.write(f"--- program output\n{run.program_output.rstrip()}\n")
    for directory, stderr in run.pack_stderr.items():
        if stderr.strip():
            sys.stderr.write(f"--- policy pack {directory} stderr\n{stderr.rstrip()}\n")


def _interrupted() -> int:
    sys.stderr.write("error: interrupted; the check did not finish\n")
    return EXIT_ERROR


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    if args.output and (problem := output_problem(args.output)):
        sys.stderr.write(f"error: --output {escape_controls(args.output)}: {problem}\n")
        return EXIT_ERROR
    with _Interrupts() as interrupts:
        try:
            run = run_check(_options(args))
        except _Interrupted:
            return _interrupted()
        except Exception as exc:
            if interrupts.received:
                return _interrupted()
            if not isinstance(exc, CheckError):
                raise
            sys.stderr.write(f"error: {escape_controls(str(exc))}\n")
            if args.verbose and exc.detail:
                sys.stderr.write(exc.detail.rstrip() + "\n")
            return EXIT_ERROR
    if args.verbose:
        _print_verbose(run)
    for warning in run.report.warnings:
        sys.stderr.write(f"warning: {escape_controls(warning)}\n")
    rendered = run.report.render(args.format)
    if args.output:
        try:
            write_output(args.output, rendered)
        except OSError as exc:
            sys.stderr.write(f"error: --output {args.output}: {exc.strerror}\n")
            return EXIT_ERROR
    else:
        sys.stdout.write(rendered)
        sys.stdout.flush()
    return run.report.exit_code
