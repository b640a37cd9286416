"""Node.js programs in the offline check: each shape judged as its Python twin is, and each bad input one line."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from node_support import TWINS
from offline_support import REPO, by_name, capture, run_cli

from lambda_guardrails.offline.project import SECRET_PLACEHOLDER
from lambda_guardrails.testing import CheckError, Report, check_program

pytestmark = pytest.mark.usefixtures("node_programs")

# shape -> (stack, one verdict each mode must hold, so that equality is never two empty lists)
SHAPES = {
    "component": ("dev", ("lambda-reserved-concurrency-restrict-per-function", "orders-fn", "mandatory")),
    "javascript": ("dev", ("iam-policy-disallow-wildcard-actions", "worker-everything", "mandatory")),
    "custom_main": ("staging", ("aws-environment-tag-match-stack", "audit-logs", "mandatory")),
    "provider_tags": ("dev", ("aws-environment-tag-match-stack", "tagged", "mandatory")),
    "secret_config": ("dev", ("lambda-function-disallow-plaintext-secrets", "api", "mandatory")),
}
RUNTIME_DATE = {name: {"evaluationDate": "2026-11-30"} for name in (
    "lambda-function-disallow-blocked-runtime", "lambda-function-disallow-deprecated-runtime")}


def verdicts(report: Report) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    violations = sorted((v.policy, v.resource_name, v.enforcement_level) for v in report.violations)
    return violations, sorted((n.policy, n.urn) for n in report.not_applicable)


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_node_program_is_judged_as_its_python_twin(shape: str, mode: str) -> None:
    stack, expected = SHAPES[shape]
    node = check_program(TWINS / shape / "nodejs", stack=stack, mode=mode, policy_config=RUNTIME_DATE)
    python = check_program(TWINS / shape / "python", stack=stack, mode=mode, policy_config=RUNTIME_DATE)
    assert verdicts(node) == verdicts(python)
    assert expected in verdicts(node)[0]
    assert (node.resources, node.exit_code) == (python.resources, python.exit_code)


def test_unknown_output_at_preview_is_unknown_in_a_node_program() -> None:
    preview = by_name(capture(TWINS / "component" / "nodejs", "dev"), "orders-warm")
    update = by_name(capture(TWINS / "component" / "nodejs", "dev", mode="update"), "orders-warm")
    assert preview.inputs["qualifier"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert update.inputs["qualifier"] == "$LATEST"


def test_node_capture_records_what_the_python_capture_records() -> None:
    node = capture(TWINS / "provider_tags" / "nodejs", "dev")
    python = capture(TWINS / "provider_tags" / "python", "dev")
    for name in ("tagged", "data-key", "app-logs"):
        n, p = by_name(node, name), by_name(python, name)
        fields = ("urn", "type", "parent", "provider_urn", "custom")
        assert [getattr(n, f) for f in fields] == [getattr(p, f) for f in fields]
        assert n.outputs.get("tagsAll") == p.outputs.get("tagsAll")
    assert node.root.urn == python.root.urn == "urn:pulumi:dev::twin-provider-tags::pulumi:pulumi:Stack::" \
        "twin-provider-tags-dev"
    secret = by_name(capture(TWINS / "secret_config" / "nodejs", "dev"), "api")
    assert secret.inputs["environment"]["variables"]["API_KEY"] == {  # type: ignore[index]
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": SECRET_PLACEHOLDER}


def _one_line(program: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = run_cli(str(program), *args, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert SECRET_PLACEHOLDER not in result.stderr
    return lines[0]


def test_a_compile_error_gives_its_first_diagnostic() -> None:
    line = _one_line(TWINS / "bad" / "compile")
    assert line == ("error: program tests/offline/twins/bad/compile/index.ts does not compile: "
                    "index.ts(3,27): error TS1109: Expression expected.")


def test_a_throwing_program_gives_its_first_line_with_secrets_masked() -> None:
    line = _one_line(TWINS / "bad" / "throws")
    assert line == "error: program tests/offline/twins/bad/throws/index.ts raised Error: the key [secret] is not " \
        "valid here"


def test_a_throw_inside_an_apply_gives_its_first_line_and_ends_the_check() -> None:
    line = _one_line(TWINS / "bad" / "throws_in_apply")
    assert line == "error: program tests/offline/twins/bad/throws_in_apply/index.ts raised Error: the key [secret] " \
        "is rejected"


def test_no_node_modules_says_run_npm_install(tmp_path: Path) -> None:
    shutil.copytree(TWINS / "component" / "nodejs", tmp_path / "program")
    line = _one_line(tmp_path / "program")
    assert line == (f"error: {tmp_path / 'program'}: no node_modules with @pulumi/pulumi for this nodejs program; "
                    f"run npm install in {tmp_path / 'program'}")
    with pytest.raises(CheckError, match="run npm install in"):
        check_program(tmp_path / "program")


def test_a_too_old_pulumi_sdk_is_named(tmp_path: Path) -> None:
    shutil.copytree(TWINS / "component" / "nodejs", tmp_path / "program")
    sdk = tmp_path / "program" / "node_modules" / "@pulumi" / "pulumi"
    sdk.mkdir(parents=True)
    (sdk / "package.json").write_text('{"name": "@pulumi/pulumi", "version": "2.0.0", "main": "index.js"}\n')
    line = _one_line(tmp_path / "program")
    assert line == (f"error: @pulumi/pulumi 2.0.0 in {sdk} is too old for the offline check: it lacks the mocks and "
                    "run code the check runs the program with; install a current @pulumi/pulumi 3")


def test_node_missing_or_too_old(tmp_path: Path) -> None:
    assert _one_line(TWINS / "javascript" / "nodejs", env={"PATH": str(tmp_path)}) == (
        "error: node is not on PATH: the offline check runs a nodejs program with Node.js 20 or later")
    shim = tmp_path / "old.js"
    shim.write_text('Object.defineProperty(process, "versions", '
                    '{value: Object.assign({}, process.versions, {node: "18.20.4"})});\n')
    node = tmp_path / "node"
    node.write_text(f'#!/bin/sh\nexec {shutil.which("node")} --require {shim} "$@"\n')
    node.chmod(0o755)
    assert _one_line(TWINS / "javascript" / "nodejs", env={"PATH": str(tmp_path)}) == (
        "error: Node.js 18.20.4 is too old for the offline check; it needs Node.js 20 or later")


def test_cli_reports_a_node_program_like_a_python_one() -> None:
    node = run_cli(str(TWINS / "javascript" / "nodejs"), "--format", "json")
    python = run_cli(str(TWINS / "javascript" / "python"), "--format", "json")
    assert node.returncode == python.returncode == 1
    # The twins declare their resources on different lines; all else is the same report.
    same = node.stdout.replace("nodejs", "python").replace("index.js", "__main__.py")
    assert re.sub(r'"line": \d+', '"line": N', same) == re.sub(r'"line": \d+', '"line": N', python.stdout)
    assert {v["source"]["path"] for v in json.loads(node.stdout)["violations"]} == {"index.js"}
    assert str(REPO) not in node.stdout


def test_pre_commit_hook_checks_a_node_program() -> None:
    hook = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())[0]
    assert re.search(hook["files"], "lib/tap-stack.ts") and re.search(hook["files"], "index.js")
    # The hook's entry, `lambda-guardrails check`, through the console script's function.
    entry = [sys.executable, "-c", "import sys; from lambda_guardrails.cli import run; sys.argv[0] = "
             "'lambda-guardrails'; run()", *hook["entry"].split()[1:]]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    failing = subprocess.run([*entry, str(TWINS / "javascript" / "nodejs")], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=120, check=False)
    assert failing.returncode == 1, failing.stderr
    assert "iam-policy-disallow-wildcard-actions" in failing.stdout
    broken = subprocess.run([*entry, str(TWINS / "bad" / "compile")], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert broken.returncode == 2
    assert "does not compile: index.ts(3,27): error TS1109" in broken.stderr


def test_declarations_are_traced_to_the_typescript_source() -> None:
    seed = REPO / "examples" / "seed-model-response-ts"
    captured = capture(seed, "dev")
    lines = (seed / "lib" / "tap-stack.ts").read_text().splitlines()
    declared = by_name(captured, "transaction-processor-dev").source
    assert declared[0] == "lib/tap-stack.ts"
    assert "new aws.lambda.Function(" in lines[declared[1] - 1]
    assert by_name(captured, "tap-stack").source == ("bin/tap.ts", 8)
    python = by_name(capture(REPO / "examples" / "seed-model-response", "dev"), "transaction-processor-dev").source
    assert python == ("tap_stack.py", 120)


def test_a_node_programs_invented_invokes_are_listed_as_a_python_programs_are(tmp_path: Path) -> None:
    program = tmp_path / "program"
    program.mkdir()
    (program / "node_modules").symlink_to(TWINS / "node_modules")
    (program / "Pulumi.yaml").write_text("name: node-invokes\nruntime:\n  name: nodejs\n  options:\n"
                                         "    typescript: false\n")
    (program / "index.js").write_text(
        'const aws = require("@pulumi/aws");\n'
        'const topic = aws.sns.getTopicOutput({ name: "alerts" });\n'
        'new aws.sqs.Queue("q", { tags: { Topic: topic.arn } });\n'
        'aws.getCallerIdentityOutput();\n'
    )
    report = check_program(program, stack="dev", mode="update")
    assert report.generic_invokes == ("aws:sns/getTopic:getTopic",)
    assert ("invoke 'aws:sns/getTopic:getTopic' was answered with values the check invented from the SDK's result "
            "type; a verdict that depends on them may differ from a real deployment's") in report.warnings
