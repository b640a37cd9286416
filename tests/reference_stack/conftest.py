"""Shared fixtures: the reference stack's modules loaded by path, and programs run under Pulumi mocks."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
REFERENCE_STACK = REPO / "reference_stack"
SEED_EXAMPLE = REPO / "examples" / "seed-model-response"
RUNNER = Path(__file__).resolve().parent / "run_program.py"


def load_module(name: str, path: Path) -> ModuleType:
    """Import a file under a unique name without writing bytecode next to it (the app folder is deployed)."""
    previous = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.dont_write_bytecode = previous


def stack_config(program_dir: Path, stack: str) -> dict[str, str]:
    """A stack file's config as the CLI hands it to a program: every value a string."""
    data = yaml.safe_load((program_dir / f"Pulumi.{stack}.yaml").read_text())
    config: dict[str, str] = {}
    for key, value in data["config"].items():
        config[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return config


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "AWS_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_program(
    program_dir: Path, project: str, stack: str, config: dict[str, str], preview: bool = False
) -> dict[str, Any]:
    command = [sys.executable, str(RUNNER), str(program_dir), project, stack, json.dumps(config)]
    if preview:
        command.append("--preview")
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=_clean_env(),
    )
    assert completed.stdout, f"runner printed nothing; stderr:\n{completed.stderr}"
    result: dict[str, Any] = json.loads(completed.stdout.splitlines()[-1])
    result["returncode"] = completed.returncode
    result["stderr"] = completed.stderr
    return result


@pytest.fixture(scope="session")
def reference_handler() -> ModuleType:
    return load_module("reference_stack_handler", REFERENCE_STACK / "app" / "handler.py")


@pytest.fixture(scope="session")
def processor_args() -> ModuleType:
    return load_module("reference_stack_processor_args", REFERENCE_STACK / "processor_args.py")


PROGRAMS = {"reference": (REFERENCE_STACK, "lambda-reference"), "seed": (SEED_EXAMPLE, "tap-stack")}


@pytest.fixture(scope="session")
def run() -> Callable[..., dict[str, Any]]:
    """run(program, stack, config, preview=False) with program "reference" or "seed"."""

    def _run(program: str, stack: str, config: dict[str, str], preview: bool = False) -> dict[str, Any]:
        directory, project = PROGRAMS[program]
        return run_program(directory, project, stack, config, preview)

    return _run


@pytest.fixture(scope="session")
def reference_config() -> Callable[[str], dict[str, str]]:
    return lambda stack: stack_config(REFERENCE_STACK, stack)


@pytest.fixture(scope="session")
def seed_config() -> Callable[[str], dict[str, str]]:
    return lambda stack: stack_config(SEED_EXAMPLE, stack)
