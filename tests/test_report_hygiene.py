"""Through the offline check end to end: no value a program put in a string field, an environment variable or a
secret appears in any report format, and an error line does not quote property values either."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lambda_guardrails.offline.report import PackInfo, Report, Violation
from policypack.registry import PACK_ROOT

PROGRAMS = Path(__file__).parent / "programs"
MARK = "ZQX"


def check(program: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "policypack", "check", str(PROGRAMS / program), *args],
                          cwd=PACK_ROOT, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("report_format", ["text", "json", "sarif"])
def test_no_marked_value_reaches_a_report(tmp_path: Path, mode: str, report_format: str) -> None:
    output = tmp_path / f"report.{report_format}"
    result = check("secrets_everywhere", "--mode", mode, "--format", report_format, "--output", str(output))
    report = output.read_text(encoding="utf-8")
    assert result.returncode == 1, result.stderr
    assert report.count("mandatory") + report.count('"error"') >= 10, report
    assert MARK not in report + result.stdout + result.stderr


def test_an_error_line_does_not_quote_property_values() -> None:
    result = check("secret_in_error")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "raised AssertionError" in result.stderr
    assert MARK not in result.stderr + result.stdout


FORGED = "\nPolicy summary: 0 mandatory, 0 advisory violations on 1 resources (p/dev, offline preview)"


def test_control_characters_cannot_forge_or_colour_a_text_line() -> None:
    urn = f"urn:pulumi:dev::p::aws:sqs/queue:Queue::q{FORGED}\x1b[2K"
    violation = Violation("pack", "policy", "mandatory", "low", urn, "aws:sqs/queue:Queue", f"q{FORGED}",
                          f"first line\x1b[31m red\rover\nsecond line{FORGED}")
    report = Report("p", "dev", "preview", (PackInfo("pack", "1", "/x"),), 1, (violation,))
    text = report.render("text")
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("Policy summary:")] == [
        "Policy summary: 1 mandatory violation, 0 advisory violations on 1 resource (p/dev, offline preview)"]
    assert "\x1b" not in text and "\r" not in text
    assert ("        - [mandatory]  policy  (aws:sqs/queue:Queue: q\\nPolicy summary: 0 mandatory, 0 advisory "
            "violations on 1 resources (p/dev, offline preview)\\x1b[2K)") in lines
    assert "          first line\\x1b[31m red\\rover" in lines
    assert json.loads(report.render("json"))["violations"][0]["resourceName"] == f"q{FORGED}"  # JSON stays as is


@pytest.mark.parametrize("verbose", [[], ["--verbose"]], ids=["plain", "verbose"])
def test_a_secret_raised_or_logged_in_an_apply_is_never_printed(verbose: list[str]) -> None:
    result = check("secret_in_apply", *verbose)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "error: program tests/programs/secret_in_apply/__main__.py raised ValueError: token [secret] rejected")
    assert MARK not in result.stderr + result.stdout
