"""The pack's own regexes run on RE2 (policypack/patterns.py), never on Python's backtracking `re`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from policypack.iam import actions_taking_a_resource
from policypack.provisioned_concurrency import is_alias_name

PACK = Path(__file__).parent.parent / "policypack"
RUNTIME = sorted(p for p in PACK.rglob("*.py") if "offline" not in p.parts and p.name not in ("guide.py", "testing.py"))


@pytest.mark.parametrize("path", RUNTIME, ids=lambda p: str(p.relative_to(PACK)))
def test_the_pack_never_imports_re(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"re", "fnmatch", "regex"}


def test_an_action_wildcard_made_to_backtrack_is_judged() -> None:
    # `s3:*a*a...*b` took 31 s per action name with 10 stars on `re` (fullmatch of `.*a.*a...`); RE2 is linear.
    assert actions_taking_a_resource("s3:" + "*a" * 30 + "*b", set()) == []
    assert "s3:GetObject" in actions_taking_a_resource("s3:*G*e*t*O*b*j*e*c*t", set())


def test_an_action_too_large_for_re2_counts_as_taking_a_resource() -> None:
    action = "s3:" + "x*" * 2_000_000
    assert actions_taking_a_resource(action, set()) == [action]


@pytest.mark.parametrize(("name", "valid"), [("live", True), ("v2", True), ("2", False), ("a" * 128, True),
                                             ("a" * 129, False), ("live\n", False), ("١٢", False)])
def test_alias_names(name: str, valid: bool) -> None:
    assert is_alias_name(name) is valid
