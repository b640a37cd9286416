"""docs/remediation.md is generated from the registry, up to date, parses, and has every anchor messages use."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

from harness import run_case

from lambda_guardrails import guide
from policypack.registry import PACK_ROOT, POLICIES

FIXTURES = Path(__file__).parent / "fixtures"


def guide_text() -> str:
    return guide.GUIDE.read_text(encoding="utf-8")


def test_committed_guide_is_what_the_registry_generates() -> None:
    result = subprocess.run([sys.executable, "-m", "policypack", "docs", "--check"], cwd=PACK_ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_check_fails_on_a_stale_guide(tmp_path: Path, monkeypatch) -> None:
    stale = tmp_path / "remediation.md"
    stale.write_text(guide.render().replace("Why it matters", "Why it mattered", 1), encoding="utf-8")
    monkeypatch.setattr(guide, "GUIDE", stale)
    assert guide.main(["--check"]) == 1
    assert guide.main(["--write"]) == 0
    assert guide.main(["--check"]) == 0


def test_every_python_snippet_in_the_guide_parses() -> None:
    snippets = re.findall(r"```python\n(.*?)```", guide_text(), re.DOTALL)
    assert len(snippets) >= 2 * len(POLICIES)
    for snippet in snippets:
        ast.parse(snippet)


def test_every_json_snippet_in_the_guide_parses() -> None:
    for snippet in re.findall(r"```json\n(.*?)```", guide_text(), re.DOTALL):
        json.loads(snippet)


def test_each_policy_has_a_section_under_its_own_anchor() -> None:
    text = guide_text()
    for policy in POLICIES:
        assert f'<a id="{policy.name}"></a>\n## {policy.name}\n' in text
        section = text.split(f"## {policy.name}\n", 1)[1].split("\n## ", 1)[0]
        for heading in ("**What it checks.**", "**Why it matters.**", "**Fails:**", "**Passes:**", "**Config.**",
                        "**Exempting one resource**", "Remediates automatically"):
            assert heading in section, (policy.name, heading)
        for key in policy.meta.defaults():
            assert f"| `{key}` |" in section, (policy.name, key)


def test_every_anchor_in_a_violation_message_exists() -> None:
    anchors = set(re.findall(r'<a id="([a-z0-9-]+)"></a>', guide_text()))
    seen: set[str] = set()
    for path in FIXTURES.glob("*/bad/*.json"):
        outcome = run_case(json.loads(path.read_text(encoding="utf-8")))
        for diagnostic in outcome.diagnostics:
            seen.update(re.findall(r"docs/remediation\.md#([a-z0-9-]+)", diagnostic.message))
    assert seen == {policy.name for policy in POLICIES}
    assert seen <= anchors
