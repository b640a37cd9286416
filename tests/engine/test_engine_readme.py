"""The README's real-engine commands, run literally."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from engine_support import CLI_TIMEOUT, REPO

pytestmark = pytest.mark.engine


def readme_block(heading: str) -> str:
    text = (REPO / "README.md").read_text()
    section = text[text.index(heading):]
    match = re.search(r"```\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def test_the_readmes_real_engine_commands_work_as_written(tmp_path: Path) -> None:
    commands = readme_block("## The real engine (`scripts/pulumi`)")
    result = subprocess.run(
        ["bash", "-c", commands], cwd=REPO, capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False,
        env={**os.environ, "LAMBDA_GUARDRAILS_STATE": str(tmp_path / "state")}, stdin=subprocess.DEVNULL,
    )
    output = result.stdout + result.stderr
    assert result.stdout.startswith("v3.274.1\n")
    # preview: violations at their levels, for the pack the link names (its PulumiPolicy.yaml's version)
    assert "❌ aws-lambda-guardrails@v0.1.0" in output
    assert "[mandatory] [severity: high]  lambda-function-disallow-plaintext-secrets  (aws:lambda:Function: handler)" \
        in output
    # up with every policy advisory: the update done, with the advisories
    assert "⚠️ aws-lambda-guardrails@v0.1.0" in output
    assert "Resources:\n    + 8 created" in output
    # policy analyze of the exported state
    assert result.stderr.rstrip().endswith("error: one or more mandatory policy violations were found")
    assert result.returncode == 1
