"""`npm ci` for the repository's Node.js programs, once per test session and only when the lock file changed."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TS_SEED = REPO / "examples" / "seed-model-response-ts"
TWINS = REPO / "tests" / "offline" / "twins"
NODE_PROJECTS = (TS_SEED, TWINS)


def _installed(project: Path) -> bool:
    """npm keeps what it installed in node_modules/.package-lock.json; it matches the lock file's packages."""
    hidden = project / "node_modules" / ".package-lock.json"
    if not hidden.is_file():
        return False
    wanted = json.loads((project / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    have = json.loads(hidden.read_text(encoding="utf-8"))["packages"]
    return {k: v.get("version") for k, v in wanted.items() if k} == {k: v.get("version") for k, v in have.items()}


def npm_ci(project: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not on PATH: the Node.js programs' tests need Node.js 20 and npm")
    with (project / "package-lock.json").open("rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel workers install once
        if not _installed(project):
            subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=project, check=True,
                           timeout=600)
