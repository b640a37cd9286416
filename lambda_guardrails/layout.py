"""The pack directory: what `pulumi preview --policy-pack DIR` starts and what `pulumi policy publish` uploads.

A checkout is its own pack directory. An installed pack gets one laid out beside the environment that holds it
(`pack-dir`), and `publish-dir` lays out the pack with its modules, exactly what `pulumi policy publish` uploads.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from policypack.registry import PACK_DESCRIPTION, PACK_ROOT, PACK_VERSION

DISTRIBUTION: Final = "aws-lambda-guardrails"
PACKAGE: Final = "policypack"
# `python -m policypack` is the tools' command line: it stays out of the published pack.
NOT_PUBLISHED: Final = frozenset({"__main__.py"})
ENTRY_POINT: Final = '''"""The pack's entry point, run by `pulumi preview --policy-pack <this directory>`."""

from policypack.pack import serve

serve()
'''


class LayoutError(Exception):
    """A pack directory that cannot be laid out; its message is the one line the command prints."""


def manifest(virtualenv: str | None = ".venv") -> str:
    """PulumiPolicy.yaml for a pack whose Python is `virtualenv` (relative to the pack), or the one on PATH."""
    options = "    toolchain: pip\n" + (f"    virtualenv: {virtualenv}\n" if virtualenv else "")
    return f"runtime:\n  name: python\n  options:\n{options}version: {PACK_VERSION}\ndescription: {PACK_DESCRIPTION}\n"


def checkout() -> Path | None:
    """The source checkout the pack runs from, if it does (not an installed copy)."""
    is_checkout = (PACK_ROOT / "PulumiPolicy.yaml").is_file() and (PACK_ROOT / "pyproject.toml").is_file()
    return PACK_ROOT if is_checkout else None


def runtime_requirements() -> str:
    """The pack's requirements.txt: the checkout's file, or the installed distribution's own requirements."""
    root = checkout()
    if root is not None:
        return (root / "requirements.txt").read_text(encoding="utf-8")
    requires = importlib.metadata.requires(DISTRIBUTION) or []
    return "".join(f"{line}\n" for line in requires if "extra ==" not in line)


def module_files() -> list[Path]:
    """The runtime pack's modules, relative to the directory that holds the package."""
    package = PACK_ROOT / PACKAGE
    found = [path.relative_to(PACK_ROOT) for path in package.rglob("*.py") if "__pycache__" not in path.parts]
    return sorted(path for path in found if path.relative_to(PACKAGE).as_posix() not in NOT_PUBLISHED)


def pack_files(virtualenv: str | None = ".venv") -> dict[str, str]:
    return {"PulumiPolicy.yaml": manifest(virtualenv), "__main__.py": ENTRY_POINT,
            "requirements.txt": runtime_requirements()}


def publish(target: Path) -> list[str]:
    """Lays out the published pack in `target` (new or empty) all at once; returns its files, sorted."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise LayoutError(f"{target}: exists and is not an empty directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for name, text in pack_files().items():
            (staging / name).write_text(text, encoding="utf-8")
        for module in module_files():
            (staging / module).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(PACK_ROOT / module, staging / module)
        if target.exists():
            target.rmdir()
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(path.relative_to(target).as_posix() for path in target.rglob("*") if path.is_file())


def pack_dir() -> Path:
    """The directory to pass to `--policy-pack`: the checkout, or one laid out for this installation."""
    root = checkout()
    if root is not None:
        return root
    in_virtualenv = sys.prefix != sys.base_prefix
    candidates = [Path(sys.prefix) / "share" / DISTRIBUTION / "pack"]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    candidates.append(cache / DISTRIBUTION / f"pack-{hashlib.sha256(sys.prefix.encode()).hexdigest()[:12]}")
    errors = []
    for directory in candidates:
        try:
            _refresh(directory, Path(sys.prefix) if in_virtualenv else None)
            return directory
        except OSError as exc:
            errors.append(f"{directory}: {exc.strerror or exc}")
    raise LayoutError("cannot lay out the pack directory: " + "; ".join(errors))


def _refresh(directory: Path, virtualenv: Path | None) -> None:
    """Writes the pack files that differ; `.venv` links to the environment the pack is installed in."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in pack_files(".venv" if virtualenv else None).items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            partial = path.with_name(f".{name}.partial")
            partial.write_text(text, encoding="utf-8")
            partial.replace(path)
    link = directory / ".venv"
    if virtualenv is None or (link.is_symlink() and Path(os.readlink(link)) == virtualenv):
        return
    if link.is_symlink():
        link.unlink()
    link.symlink_to(virtualenv, target_is_directory=True)


def pack_dir_main(argv: Sequence[str]) -> int:
    argparse.ArgumentParser(prog="lambda-guardrails pack-dir",
                            description="Print the pack directory to pass to `pulumi preview --policy-pack`.",
                            ).parse_args(argv)
    try:
        print(pack_dir())
    except LayoutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def publish_dir_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="lambda-guardrails publish-dir",
                                     description="Lay out in DIR exactly what `pulumi policy publish` uploads; "
                                                 "then run `pulumi policy publish` in DIR.")
    parser.add_argument("directory", metavar="DIR", help="a new or empty directory")
    args = parser.parse_args(argv)
    try:
        files = publish(Path(args.directory))
    except (LayoutError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.directory}: {len(files)} files; run `pulumi policy publish` there")
    return 0
