"""Builds and serves the pack: what the pack directory's `__main__.py` runs under `python -m pulumi.policy`."""

from __future__ import annotations

import gc

from pulumi_policy import PolicyPack

from . import sdk_analyze
from .registry import PACK_DESCRIPTION, PACK_NAME, POLICIES


def serve() -> None:
    # AnalyzeStack builds the whole stack in memory (on an SDK that sdk_analyze leaves alone, once per stack
    # policy); at the default thresholds the cyclic collector rescans that growing heap so often that the time
    # grows faster than the stack (see bench/README.md).
    gc.set_threshold(100_000, 50, 100)
    sdk_analyze.install()
    PolicyPack(name=PACK_NAME, policies=list(POLICIES), description=PACK_DESCRIPTION, provider="aws")
