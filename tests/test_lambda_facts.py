"""The runtime lifecycle and reserved variable names are generated from the installed cfn-lint's AWS data, agree
with it, and agree with the facts the issue checked on 2026-11-30."""

from __future__ import annotations

import datetime
import subprocess
import sys

from policypack import lambda_facts, runtimes
from policypack.registry import PACK_ROOT

SCRIPT = PACK_ROOT / "scripts" / "generate_lambda_facts.py"
CHECKED = datetime.date(2026, 11, 30)


def test_generated_tables_agree_with_the_installed_cfn_lint() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_the_check_fails_when_the_table_is_stale(monkeypatch) -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    import generate_lambda_facts

    changed = dict(lambda_facts.RUNTIMES, **{"python3.13": (None, None, None, None)})
    monkeypatch.setattr(lambda_facts, "RUNTIMES", changed)
    assert generate_lambda_facts.stale()
    assert generate_lambda_facts.main(["--check"]) == 1


def _state(runtime: str, on: datetime.date) -> str:
    deprecated, create, update, _ = lambda_facts.RUNTIMES[runtime]
    if runtimes._on_or_before(update, on):
        return "blocked"
    if runtimes._on_or_before(create, on):
        return "create-blocked"
    return "deprecated" if runtimes._on_or_before(deprecated, on) else "current"


def test_the_table_agrees_with_the_facts_checked_on_2026_11_30() -> None:
    expected = {
        "blocked": ["python3.6", "nodejs12.x"],
        "create-blocked": ["python3.7", "nodejs14.x", "ruby2.7", "java8", "go1.x", "provided"],
        "deprecated": ["python3.8", "python3.9", "python3.10", "nodejs16.x", "nodejs18.x", "nodejs20.x", "ruby3.2",
                       "dotnet6", "dotnet8", "provided.al2"],
        "current": ["python3.11", "python3.13", "python3.14", "nodejs24.x", "java21", "provided.al2023"],
    }
    for state, names in expected.items():
        assert {name: _state(name, CHECKED) for name in names} == dict.fromkeys(names, state)
    for name in expected["create-blocked"]:
        assert lambda_facts.RUNTIMES[name][2] == "2027-03-03", name
    for name in expected["deprecated"]:
        assert lambda_facts.RUNTIMES[name][1] == "2027-02-01", name
    assert lambda_facts.RUNTIMES["python3.11"][0] == "2027-06-30"


def test_reserved_names_hold_the_documented_ones_and_not_the_settable_ones() -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "_HANDLER", "LAMBDA_TASK_ROOT"):
        assert name in lambda_facts.RESERVED_VARIABLES
    assert "AWS_LAMBDA_EXEC_WRAPPER" not in lambda_facts.RESERVED_VARIABLES


def test_the_pack_does_not_import_cfn_lint() -> None:
    code = "import sys, policypack.registry; print('cfnlint' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=PACK_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
