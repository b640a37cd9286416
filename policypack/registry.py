"""The one list of the pack's policies, in a stable order, and the pack's identity."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from . import (
    __version__,
    encryption,
    env_secrets,
    event_sources,
    function_settings,
    iam,
    iam_roles,
    invocation,
    naming,
    observability,
    provisioned_concurrency,
    published_alias,
    reserved_concurrency,
    runtimes,
    tagging,
)
from .framework import GuardResourcePolicy, GuardStackPolicy

PACK_NAME: Final = "aws-lambda-guardrails"
PACK_VERSION: Final = __version__
PACK_DESCRIPTION: Final = "Stops broken or unsafe AWS Lambda deployments at preview time."
# The directory that holds the policypack package: a checkout's root, or site-packages once installed.
PACK_ROOT: Final = Path(__file__).resolve().parent.parent

POLICIES: Final[tuple[GuardResourcePolicy | GuardStackPolicy, ...]] = (
    *provisioned_concurrency.POLICIES,
    *reserved_concurrency.POLICIES,
    *published_alias.POLICIES,
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
