"""Every policy's good and bad fixtures, through the SDK's own servicer: adding a case adds a file, not code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from harness import run_case

from policypack.registry import POLICIES

FIXTURES = Path(__file__).parent / "fixtures"
LEVELS = {policy.name: policy.meta.level.value for policy in POLICIES}


def fixture_cases() -> list[Any]:
    return [
        pytest.param(folder.name, kind, path, id=f"{folder.name}/{kind}/{path.stem}")
        for folder in sorted(FIXTURES.iterdir()) if folder.is_dir()
        for kind in ("good", "bad")
        for path in sorted((folder / kind).glob("*.json"))
    ]


@pytest.mark.parametrize(("policy", "kind", "path"), fixture_cases())
def test_fixture(policy: str, kind: str, path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    outcome = run_case(case)

    found = sorted((d.resource, d.level) for d in outcome.of(policy))
    expected = [] if kind == "good" else sorted(
        (e["resource"], e.get("level", LEVELS[policy])) for e in case["expect"])
    assert found == expected, [d.message for d in outcome.of(policy)]

    for diagnostic in outcome.of(policy):
        assert diagnostic.message.endswith(f"See docs/remediation.md#{policy}"), diagnostic.message
    for entry in case.get("expect", []):
        for text in entry.get("contains", []):
            assert any(text in d.message for d in outcome.of(policy) if d.resource == entry["resource"]), text
    for entry in case.get("notApplicable", []):
        reasons = [why for name, res, why in outcome.not_applicable if name == policy and res == entry["resource"]]
        assert any(entry["contains"] in reason for reason in reasons), (entry, outcome.not_applicable)
    for name, props in case.get("remediated", {}).items():
        assert {k: outcome.remediated[name].get(k) for k in props} == props
    for secret in case.get("secrets", []):
        texts = [d.message for d in outcome.diagnostics] + [r for _, _, r in outcome.not_applicable]
        assert not any(secret in text for text in texts)
    assert not any("could not evaluate" in d.message for d in outcome.diagnostics), outcome.diagnostics
