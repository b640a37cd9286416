"""What each generator under scripts/ does with the module it renders: write it, or with --check compare it."""

from __future__ import annotations

from pathlib import Path


def write_or_check(target: Path, text: str, argv: list[str]) -> int:
    """0 when written, or with `--check` when `target` already holds `text`; 1 when it is stale."""
    if "--check" in argv:
        return 0 if target.exists() and target.read_text(encoding="utf-8") == text else 1
    target.write_text(text, encoding="utf-8")
    return 0
