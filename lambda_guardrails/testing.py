"""The offline check as a function, for a team's own pytest suite.

from lambda_guardrails.testing import check_program

def test_stack_is_compliant():
    report = check_program("infra", stack="dev")
    assert [v.policy for v in report.violations] == []
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .offline.check import CheckOptions, ConfigSource, run_check
from .offline.errors import CheckError
from .offline.report import NotApplicable, Remediation, Report, Violation

__all__ = ["CheckError", "NotApplicable", "Remediation", "Report", "Violation", "check_program"]

PathLike = str | os.PathLike[str]
PolicyConfig = Mapping[str, Any] | PathLike


def _config_sources(policy_config: PolicyConfig | Sequence[PolicyConfig] | None) -> list[ConfigSource]:
    if policy_config is None:
        return []
    if isinstance(policy_config, Mapping | str | os.PathLike):
        policy_config = [policy_config]
    return [c if isinstance(c, Mapping) else Path(c) for c in policy_config]


def _packs(policy_packs: PathLike | Sequence[PathLike] | None) -> list[Path]:
    if policy_packs is None:
        return []
    if isinstance(policy_packs, str | os.PathLike):
        return [Path(policy_packs)]
    return [Path(p) for p in policy_packs]


def check_program(
    program_dir: PathLike,
    stack: str = "dev",
    mode: str = "preview",
    policy_config: PolicyConfig | Sequence[PolicyConfig] | None = None,
    policy_packs: PathLike | Sequence[PathLike] | None = None,
) -> Report:
    """Runs `python -m policypack check` in process and returns its report, for a Python or a Node.js program.

    `policy_config` is a dict in the CLI's `--policy-pack-config` format or a path to such a file (a list of them
    pairs with `policy_packs` in order); `policy_packs` defaults to this repository's pack. Raises `CheckError`
    with the CLI's one-line message where the CLI would exit with code 2.
    """
    options = CheckOptions(
        program_dir=Path(program_dir),
        stack=stack,
        mode=mode,
        policy_packs=_packs(policy_packs),
        policy_configs=_config_sources(policy_config),
    )
    return run_check(options).report
