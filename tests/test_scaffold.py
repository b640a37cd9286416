"""`new-policy` in a copy of the checkout: the suite runs at once, and after filling in the check the new policy
meets every obligation of the contract test and passes its fixtures."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policypack.registry import PACK_ROOT, POLICIES

NAME = "lambda-function-require-dlq"
CHECK = '''def check_lambda_function_require_dlq(r: ResourceContext) -> None:
    value = r.props.get("deadLetterConfig")
    if value is UNKNOWN:
        r.cannot_decide("deadLetterConfig is unknown at preview")
    elif not value:
        r.fail("deadLetterConfig is not set: failed asynchronous events are lost. Set dead_letter_config.")
'''


def copy_of_checkout(target: Path) -> Path:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=PACK_ROOT, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    for name in listed:
        source = PACK_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=root, capture_output=True, text=True, timeout=600, check=False)


def pytest_in(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(root, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow", *args)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_of_checkout(tmp_path_factory.mktemp("checkout"))


def test_a_scaffolded_mandatory_policy_runs_at_once_and_passes_once_its_check_is_written(checkout: Path) -> None:
    made = run(checkout, "-m", "policypack", "new-policy", NAME, "--kind", "resource", "--area", "function_settings",
               "--level", "mandatory")
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines()[:5] == [
        "policypack/function_settings.py", f"tests/fixtures/{NAME}/good/compliant.json",
        f"tests/fixtures/{NAME}/bad/violating.json", f"tests/fixtures/{NAME}/unknown/property.json",
        "docs/policies.md"]
    first = pytest_in(checkout, "tests/test_fixtures.py", "tests/test_policy_contract.py", "-k", NAME)
    assert re.search(r"^1 failed, 2 passed", first.stdout.splitlines()[-1]), first.stdout[-2000:]
    assert f"FAILED tests/test_fixtures.py::test_fixture[{NAME}/bad/violating]" in first.stdout

    fill_in(checkout)
    assert run(checkout, "-m", "policypack", "docs", "--write").returncode == 0
    done = pytest_in(checkout, "tests/test_fixtures.py", "tests/test_policy_contract.py", "tests/test_unknowns.py",
                     "tests/test_guide.py", "tests/test_pack.py")
    assert " failed" not in done.stdout.splitlines()[-1], done.stdout[-3000:]
    fixtures = pytest_in(checkout, "tests/test_fixtures.py", "-k", NAME)
    assert fixtures.stdout.splitlines()[-1].startswith("2 passed, "), fixtures.stdout[-2000:]


def fill_in(root: Path) -> None:
    module = root / "policypack" / "function_settings.py"
    text = module.read_text()
    stub = re.search(r"^def check_lambda_function_require_dlq\(.*?\n\n\n", text, re.MULTILINE | re.DOTALL)
    assert stub
    text = text[:stub.start()] + CHECK + "\n\n" + text[stub.end():]
    text = text.replace('unknowns=(("TODO property", "what the policy does when it is unknown at preview."),)',
                        'unknowns=(("deadLetterConfig", "not applicable, naming the property."),)')
    module.write_text(text)
    fixtures = root / "tests" / "fixtures" / NAME
    good = json.loads((fixtures / "good" / "compliant.json").read_text())
    good["resources"][0]["props"] = {"deadLetterConfig": {"targetArn": "arn:aws:sqs:us-east-1:123456789012:dlq"}}
    (fixtures / "good" / "compliant.json").write_text(json.dumps(good))
    bad = json.loads((fixtures / "bad" / "violating.json").read_text())
    bad["expect"][0]["contains"] = ["deadLetterConfig is not set"]
    (fixtures / "bad" / "violating.json").write_text(json.dumps(bad))
    row = json.loads((fixtures / "unknown" / "property.json").read_text())
    row.update(property="deadLetterConfig", names="deadLetterConfig")
    (fixtures / "unknown" / "property.json").write_text(json.dumps(row))


def test_a_new_area_is_a_new_module_listed_last_in_the_registry(checkout: Path) -> None:
    made = run(checkout, "-m", "policypack", "new-policy", "lambda-alias-restrict-demo", "--kind", "stack",
               "--area", "aliases")
    assert made.returncode == 0, made.stderr
    listed = run(checkout, "-c", "from policypack.registry import POLICIES; print(POLICIES[-1].name, len(POLICIES))")
    assert listed.stdout.split() == ["lambda-alias-restrict-demo", str(len(POLICIES) + 2)]
    lint = run(checkout, "-m", "ruff", "check", "policypack")
    assert lint.returncode == 0, lint.stdout


@pytest.mark.parametrize(("args", "error"), [
    (["Bad_Name", "--kind", "resource", "--area", "x"], "error: policy name 'Bad_Name': use lowercase words"),
    ([POLICIES[0].name, "--kind", "resource", "--area", "x"], f"error: policy '{POLICIES[0].name}' exists already"),
    (["lambda-function-require-x", "--kind", "resource", "--area", "registry"], "error: --area 'registry': name a"),
    (["lambda-function-require-x", "--kind", "resource", "--area", "x", "--type", "Function"],
     "error: --type 'Function': a pulumi-aws type token"),
])
def test_bad_requests_are_one_line_and_change_nothing(tmp_path: Path, args: list[str], error: str) -> None:
    before = subprocess.run(["git", "status", "--porcelain"], cwd=PACK_ROOT, capture_output=True, text=True).stdout
    result = run(PACK_ROOT, "-m", "policypack", "new-policy", *args)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(error) and result.stderr.count("\n") == 1
    assert subprocess.run(["git", "status", "--porcelain"], cwd=PACK_ROOT, capture_output=True,
                          text=True).stdout == before
