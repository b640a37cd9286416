"""The one list of the pack's policies, in a stable order, and the pack's identity."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from . import (
    concurrency,
    encryption,
    env_secrets,
    event_sources,
    function_settings,
    iam,
    iam_roles,
    invocation,
    naming,
    observability,
    runtimes,
    tagging,
    versions,
)
from .framework import GuardResourcePolicy, GuardStackPolicy

PACK_NAME: Final = "aws-lambda-guardrails"
PACK_ROOT: Final = Path(__file__).resolve().parent.parent
POLICY_YAML: Final = PACK_ROOT / "PulumiPolicy.yaml"


def _read_pack_yaml(key: str) -> str:
    for line in POLICY_YAML.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{key}:"):
            return line[len(key) + 1:].strip().strip("'\"")
    return ""


PACK_VERSION: Final = _read_pack_yaml("version")
PACK_DESCRIPTION: Final = _read_pack_yaml("description")

POLICIES: Final[tuple[GuardResourcePolicy | GuardStackPolicy, ...]] = (
    *versions.POLICIES,
    *concurrency.POLICIES,
    *tagging.POLICIES,
    *iam.POLICIES,
    *encryption.POLICIES,
    *env_secrets.POLICIES,
    *naming.POLICIES,
    *function_settings.POLICIES,
    *observability.POLICIES,
    *invocation.POLICIES,
    *runtimes.POLICIES,
    *event_sources.POLICIES,
    *iam_roles.POLICIES,
)
