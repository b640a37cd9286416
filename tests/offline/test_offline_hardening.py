"""The offline check against hostile or broken input: config the pack refuses, names the CLI refuses, unreadable
files, duplicate URNs, odd --output targets, killed runs, control characters; each is one line and exit 2."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from offline_support import REPO, process_gone, run_cli

from lambda_guardrails.offline.errors import CheckError
from lambda_guardrails.testing import check_program

REFERENCE = str(REPO / "reference_stack")


@pytest.mark.parametrize(("config", "expected"), [
    ({"aws-resource-require-tags": {"exemptions": [{"resource": "x", "reason": "r", "expires": "2020-02-30"}]}},
     "policy 'aws-resource-require-tags': invalid config at key 'exemptions[0].expires': \"2020-02-30\" is not a date"),
    ({"aws-resource-name-restrict-suffix-format": {"suffixPattern": "^(prod"}},
     "policy 'aws-resource-name-restrict-suffix-format': invalid config at key 'suffixPattern': \"^(prod\" is not a "
     "valid regex (RE2 syntax): missing ): ^(prod"),
])
def test_config_the_pack_refuses_is_exit_2_naming_policy_and_key(tmp_path: Path, config: dict[str, object],
                                                                  expected: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    result = run_cli(REFERENCE, "--policy-pack-config", str(path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    assert result.stdout == ""


PROGRAMS = REPO / "tests" / "offline" / "programs"


def test_duplicate_urns_stop_the_check_as_they_stop_a_preview() -> None:
    result = run_cli(str(PROGRAMS / "duplicate_urn"))
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "error: program tests/offline/programs/duplicate_urn/__main__.py: Duplicate resource URN "
        "'urn:pulumi:dev::duplicate-urn::aws:sqs/queue:Queue::jobs'; try giving it a unique name\n")


def test_nan_and_infinities_in_properties_reach_the_pack(tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    result = run_cli(str(PROGRAMS / "nan_props"), "--format", "json", "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert json.loads(output.read_text())["resources"] == 2


@pytest.mark.parametrize("stack", ["prod", "org/prod", "organization/lambda-reference/prod"])
def test_qualified_stack_names_read_the_stack_file_of_their_last_part(tmp_path: Path, stack: str) -> None:
    output = tmp_path / "report.json"
    result = run_cli(REFERENCE, "--stack", stack, "--format", "json", "--output", str(output))
    assert result.returncode == 0, result.stderr
    report = json.loads(output.read_text())
    assert report["stack"] == "prod"
    assert report["resources"] > 10


@pytest.mark.parametrize(("stack", "expected"), [
    ("a::b", 'error: --stack "a::b": a stack name may only contain alphanumeric, hyphens, underscores, or periods, '
             'at most 100 characters: invalid character ":" at position 1'),
    ("org/other/dev", "error: --stack \"org/other/dev\": project 'other' is not this program's project "
                      "'lambda-reference'"),
    ("a/b/c/d", 'error: --stack "a/b/c/d": a stack is named stack, org/stack or org/project/stack'),
    ("org/", 'error: --stack "org/": a stack is named stack, org/stack or org/project/stack'),
    ("x" * 101, f'error: --stack "{"x" * 101}": a stack name may only contain alphanumeric, hyphens, underscores, '
                "or periods, at most 100 characters"),
    ("qa", f"error: --stack qa: no Pulumi.qa.yaml in {REFERENCE}; its stack files are Pulumi.dev.yaml, "
           "Pulumi.prod.yaml"),
])
def test_stack_names_the_cli_refuses_are_refused_with_its_rule(stack: str, expected: str) -> None:
    result = run_cli(REFERENCE, "--stack", stack)
    assert result.returncode == 2
    assert result.stderr == expected + "\n"


def project(tmp_path: Path, pulumi_yaml: bytes, stack_yaml: bytes | None = None) -> Path:
    (tmp_path / "Pulumi.yaml").write_bytes(pulumi_yaml)
    (tmp_path / "__main__.py").write_text("import pulumi_aws as aws\n\naws.sqs.Queue('q', name='q-dev')\n")
    if stack_yaml is not None:
        (tmp_path / "Pulumi.dev.yaml").write_bytes(stack_yaml)
    return tmp_path


def test_a_project_name_the_cli_refuses_is_refused(tmp_path: Path) -> None:
    result = run_cli(str(project(tmp_path, b"name: a::b\nruntime: python\n")))
    assert result.returncode == 2
    assert result.stderr == (f'error: {tmp_path}/Pulumi.yaml: name "a::b": project names may only contain '
                             "alphanumerics, hyphens, underscores, and periods, at most 100 characters\n")


def test_a_stack_without_any_stack_file_runs_with_a_warning(tmp_path: Path) -> None:
    result = run_cli(str(project(tmp_path, b"name: p\nruntime: python\n")), "--stack", "ci")
    assert result.returncode == 1
    assert result.stderr == f"warning: no Pulumi.ci.yaml in {tmp_path}: the program runs with no stack config\n"


@pytest.mark.parametrize("which", ["Pulumi.yaml", "Pulumi.dev.yaml", "config"])
def test_an_input_that_is_not_utf8_is_one_line_and_exit_2(tmp_path: Path, which: str) -> None:
    latin1 = "description: caf\xe9\n".encode("latin-1")
    directory = project(tmp_path, b"name: p\nruntime: python\n" + (latin1 if which == "Pulumi.yaml" else b""),
                        b"config:\n  p:x: caf\xe9\n" if which == "Pulumi.dev.yaml" else b"config: {}\n")
    config = tmp_path / "config.json"
    config.write_bytes(b'{"all": "advisory", "x": "caf\xe9"}' if which == "config" else b"{}")
    result = run_cli(str(directory), "--policy-pack-config", str(config))
    path = config if which == "config" else tmp_path / which
    label = "policy pack config " if which == "config" else ""
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {label}{path}: cannot be read: not UTF-8 (byte ")
    assert result.stderr.count("\n") == 1
    with pytest.raises(CheckError, match="not UTF-8"):
        check_program(directory, policy_config=config)


def test_a_config_nested_50000_levels_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text("[" * 50_000 + "]" * 50_000)
    result = run_cli(REFERENCE, "--policy-pack-config", str(config))
    assert result.returncode == 2
    assert result.stderr == f"error: policy pack config {config}: invalid JSON: nested too deeply\n"


UNROTATED = str(PROGRAMS / "unrotated")


def test_output_files_honour_the_umask_and_keep_an_existing_mode(tmp_path: Path) -> None:
    fresh, existing = tmp_path / "fresh.json", tmp_path / "existing.json"
    existing.write_text("old")
    existing.chmod(0o640)
    previous = os.umask(0o022)
    try:
        for path in (fresh, existing):
            assert run_cli(UNROTATED, "--format", "json", "--output", str(path)).returncode == 1
    finally:
        os.umask(previous)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
    assert json.loads(existing.read_text())["summary"]["mandatory"] >= 1


@pytest.mark.parametrize("target", ["-", "/dev/stdout"])
def test_output_to_standard_output_and_character_devices(target: str) -> None:
    result = run_cli(UNROTATED, "--format", "json", "--output", target)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["summary"]["mandatory"] >= 1


def test_output_through_a_symlink_replaces_the_file_it_points_to(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "report.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert run_cli(UNROTATED, "--format", "json", "--output", str(link)).returncode == 1
    assert link.is_symlink() and json.loads(target.read_text())["summary"]["mandatory"] >= 1


def test_an_output_in_a_missing_directory_is_refused_before_the_check_runs(tmp_path: Path) -> None:
    result = run_cli(str(PROGRAMS / "slow"), "--output", str(tmp_path / "none" / "r.json"), timeout=20)
    assert result.returncode == 2
    assert result.stderr == f"error: --output {tmp_path}/none/r.json: its directory does not exist\n"


def _descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            found += [int(c) for c in children]
            pending += [int(c) for c in children]
    return found


def test_children_die_with_a_killed_check_and_its_temp_directory_goes_next_run(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path)}
    process = subprocess.Popen([sys.executable, "-m", "policypack", "check", str(PROGRAMS / "slow")], cwd=REPO,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(_descendants(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    children = _descendants(process.pid)
    assert len(children) >= 2, "the capture child and the pack never started"
    assert list(tmp_path.glob("policypack-capture-*"))
    process.kill()
    process.wait()
    deadline = time.monotonic() + 10
    while not all(process_gone(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(process_gone(pid) for pid in children)
    assert run_cli(str(PROGRAMS / "duplicate_urn"), env={"TMPDIR": str(tmp_path)}).returncode == 2
    assert list(tmp_path.glob("policypack-capture-*")) == []
