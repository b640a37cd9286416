"""Paths and runners shared by the offline check's tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lambda_guardrails.offline.capture import Capture, CapturedResource, capture_process
from lambda_guardrails.offline.project import load_program, load_stack_config

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PROGRAMS = HERE / "programs"
PACKS = HERE / "packs"
MINIMAL_PACK = PACKS / "minimal"
TAGS_PACK = PACKS / "tags"
BROKEN_PACK = PACKS / "broken"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def capture(program: str | Path, stack: str, mode: str = "preview") -> Capture:
    loaded = load_program(PROGRAMS / program if isinstance(program, str) else program)
    process = capture_process(loaded, load_stack_config(loaded, stack), preview=mode == "preview")
    process.start()
    try:
        return process.result()[0]
    finally:
        process.stop()


def by_name(captured: Capture, name: str) -> CapturedResource:
    return next(r for r in captured.resources if r.name == name)


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "policypack", "check", *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" in status.read_text()
