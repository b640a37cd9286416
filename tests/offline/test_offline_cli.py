"""`python -m policypack check`: exit codes, one-line errors, --output, interruption."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from offline_support import BROKEN_PACK, MINIMAL_PACK, PACKS, PROGRAMS, REPO, process_gone, run_cli

from lambda_guardrails.offline import cli
from lambda_guardrails.offline.check import CheckOptions, CheckRun
from lambda_guardrails.offline.errors import CheckError

UNROTATED = str(PROGRAMS / "unrotated")
MINIMAL = str(MINIMAL_PACK)


def test_json_to_a_file_and_exit_code_one_on_a_mandatory_violation(tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    result = run_cli(
        UNROTATED, "--mode", "update", "--policy-pack", MINIMAL, "--format", "json", "--output", str(output)
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == "" and result.stderr == ""
    report = json.loads(output.read_text())
    assert report["summary"] == {"mandatory": 3, "advisory": 0}
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_sarif_and_exit_code_zero_without_mandatory_violations(tmp_path: Path) -> None:
    config = tmp_path / "advisory.json"
    config.write_text(json.dumps({"all": "advisory"}))
    result = run_cli(
        UNROTATED,
        "--mode",
        "update",
        "--policy-pack",
        MINIMAL,
        "--policy-pack-config",
        str(config),
        "--format",
        "sarif",
    )
    assert result.returncode == 0, result.stderr
    sarif = json.loads(result.stdout)
    assert {r["level"] for r in sarif["runs"][0]["results"]} == {"warning"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([str(PACKS)], f"error: {PACKS}/Pulumi.yaml: not found; PROGRAM_DIR must hold a Pulumi project"),
        (
            [str(PROGRAMS / "raises"), "--policy-pack", MINIMAL],
            "error: program tests/offline/programs/raises/__main__.py raised ValueError: "
            "the program cannot go on: boom",
        ),
        (
            [UNROTATED, "--policy-pack", str(BROKEN_PACK)],
            f"error: policy pack {BROKEN_PACK} failed to start: "
            "ModuleNotFoundError: No module named 'nonexistent_module_for_offline_tests'",
        ),
        ([UNROTATED, "--mode", "sideways"], "error: argument --mode: invalid choice: 'sideways'"),
        (
            [UNROTATED, "--policy-pack", MINIMAL, "--policy-pack-config", "a.json", "--policy-pack-config", "b.json"],
            "error: 2 policy pack configs for 1 policy packs",
        ),
        (
            [str(PROGRAMS / "unknown_invoke"), "--policy-pack", MINIMAL],
            "error: program tests/offline/programs/unknown_invoke/__main__.py calls invoke 'aws:ec2/getAmi:getAmi'",
        ),
    ],
    ids=["no-project", "program-raises", "pack-fails", "bad-flag", "configs-without-packs", "unknown-invoke"],
)
def test_exit_two_is_one_line_and_writes_nothing(tmp_path: Path, args: list[str], expected: str) -> None:
    output = tmp_path / "report.json"
    output.write_text("previous report")
    result = run_cli(*args, "--output", str(output))
    assert result.returncode == 2
    assert result.stderr.startswith(expected)
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n")
    assert "Traceback" not in result.stderr
    assert output.read_text() == "previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_config_failing_its_schema_exits_two_naming_policy_and_key(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"minimal-stack-log-groups": {"groupsPerFunction": -1}}))
    result = run_cli(UNROTATED, "--policy-pack", MINIMAL, "--policy-pack-config", str(config))
    assert result.returncode == 2
    assert result.stderr == (
        "error: policy pack 'offline-minimal': config of policy 'minimal-stack-log-groups' is invalid at key "
        f"'groupsPerFunction': -1 is less than the minimum of 0 (config from {config})\n"
    )


def test_verbose_adds_the_traceback() -> None:
    result = run_cli(str(PROGRAMS / "raises"), "--policy-pack", MINIMAL, "--verbose")
    assert result.returncode == 2
    first, rest = result.stderr.split("\n", 1)
    assert first.endswith("raised ValueError: the program cannot go on: boom")
    assert "Traceback (most recent call last)" in rest and 'raise ValueError("the program cannot go on: boom")' in rest


def test_unknown_subcommand() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "policypack", "lint"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown command 'lint'")


@pytest.fixture
def interruptible() -> Iterator[None]:
    """SIGINT not ignored here nor in children, as it is when tests run in a background job of a script."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _children_in(directory: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "cwd").resolve() == directory.resolve():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.usefixtures("interruptible")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupting_the_check_stops_its_children(tmp_path: Path, signum: int) -> None:
    pidfile = tmp_path / "pack.pid"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OFFLINE_TEST_PIDFILE": str(pidfile)}
    slow = PROGRAMS / "slow"
    process = subprocess.Popen(
        [sys.executable, "-m", "policypack", "check", str(slow), "--policy-pack", MINIMAL],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not (pidfile.exists() and pidfile.read_text() and _children_in(slow)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pidfile.exists(), "the pack never started"
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2, stderr
    assert stderr == "error: interrupted; the check did not finish\n"
    assert process_gone(int(pidfile.read_text()))
    assert _children_in(slow) == []


@pytest.mark.usefixtures("interruptible")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupt_inside_a_string_exec_still_exits_two(signum: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "signal_in_exec", signal.Signals(signum).name, UNROTATED],
        cwd=Path(__file__).parent,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(Path(__file__).parent)])},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (2, "error: interrupted; the check did not finish\n")


def _signal_swallowed_by(library_error: Exception, signum: int) -> Callable[[CheckOptions], CheckRun]:
    """A run_check that is interrupted inside code which swallows the interruption and raises another error.

    dill does this when the signal lands while pulumi imports it: a bare `except:` around one import, then
    another import that fails with ModuleNotFoundError.
    """

    def run_check(options: CheckOptions) -> CheckRun:
        try:
            signal.raise_signal(signum)
        except BaseException:  # noqa: BLE001 the library's bare except, on purpose
            raise library_error from None
        raise AssertionError("the signal did not interrupt")

    return run_check


@pytest.mark.usefixtures("interruptible")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize(
    "library_error",
    [ModuleNotFoundError("No module named 'version'"), CheckError("the policy pack exited with code -2")],
    ids=["unexpected-error", "check-error"],
)
def test_an_interrupt_that_a_library_swallows_still_reads_as_interrupted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], signum: int, library_error: Exception
) -> None:
    monkeypatch.setattr(cli, "run_check", _signal_swallowed_by(library_error, signum))
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    assert cli.main([UNROTATED]) == 2
    assert capsys.readouterr() == ("", "error: interrupted; the check did not finish\n")
    assert {s: signal.getsignal(s) for s in before} == before


def test_errors_without_an_interrupt_are_reported_as_they_are(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fails(error: Exception) -> Callable[[CheckOptions], CheckRun]:
        def run_check(options: CheckOptions) -> CheckRun:
            raise error

        return run_check

    monkeypatch.setattr(cli, "run_check", fails(CheckError("the policy pack exited with code 3")))
    assert cli.main([UNROTATED]) == 2
    assert capsys.readouterr() == ("", "error: the policy pack exited with code 3\n")
    monkeypatch.setattr(cli, "run_check", fails(ModuleNotFoundError("No module named 'version'")))
    with pytest.raises(ModuleNotFoundError):
        cli.main([UNROTATED])


def test_a_signal_the_parent_ignores_stays_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[int, object] = {}

    def run_check(options: CheckOptions) -> CheckRun:
        seen.update({s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)})
        raise CheckError("stop here")

    monkeypatch.setattr(cli, "run_check", run_check)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assert cli.main([UNROTATED]) == 2
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
    assert seen[signal.SIGINT] is signal.SIG_IGN
    assert callable(seen[signal.SIGTERM]) and seen[signal.SIGTERM] is not signal.getsignal(signal.SIGTERM)
