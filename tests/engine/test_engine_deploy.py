"""The engine tier, part two: real `pulumi preview` and `pulumi up` (Pulumi v3.274.1 with the Pulumi YAML language
host, the stand-in aws provider and the pack started by the engine) give the offline check's verdicts.

Pulumi's Python language host cannot be built here (README, "The real engine"), so each program runs as its Pulumi
YAML twin under `tests/engine/programs/`: the same resources, logical names, values and stack config as the Python
program it names, whose offline check is the comparison.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from engine_support import REPO, Verdict, engine_events, engine_verdicts, lay_out_pack, pulumi

from lambda_guardrails.offline.project import SECRET_PLACEHOLDER
from lambda_guardrails.testing import check_program

pytestmark = pytest.mark.engine

TWINS_DIR = Path(__file__).resolve().parent / "programs"
# YAML twin: (the Python program it mirrors, its stack, its secret config keys)
TWINS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "basic": ("tests/offline/programs/basic", "dev", ("apiToken",)),
    "unrotated": ("tests/offline/programs/unrotated", "dev", ()),
    "iam_from_output": ("tests/programs/iam_from_output", "dev", ()),
}
CONFIGS: list[Path | None] = [None, *sorted((REPO / "policy-config").glob("*.json"))]
ADVISORY = {"all": "advisory"}
# The policies that read the stack's name or config, which `pulumi policy analyze` does not send the pack.
STACK_CONTEXT_POLICIES = frozenset({"aws-resource-name-restrict-suffix-format", "aws-environment-tag-match-stack"})


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lay_out_pack(tmp_path_factory.mktemp("pack"))


class YamlStack:
    """A temporary copy of a twin with a stack of its own, in a state directory of its own."""

    def __init__(self, twin: str, directory: Path) -> None:
        self.python_program, self.stack, secrets = TWINS[twin]
        self.directory = directory / "program"
        shutil.copytree(TWINS_DIR / twin, self.directory)
        self.env = {"LAMBDA_GUARDRAILS_STATE": str(directory / "state")}
        self.run("stack", "select", "--create", self.stack, "--non-interactive")
        for key in secrets:
            self.run("config", "set", "--secret", key, SECRET_PLACEHOLDER, "--stack", self.stack)

    def run(self, *args: str, config: Path | dict[str, Any] | None = None, pack: Path | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        full = [*args]
        if pack is not None:
            full += ["--policy-pack", str(pack)]
        if isinstance(config, dict):
            path = self.directory.parent / "policy-config.json"
            path.write_text(json.dumps(config))
            config = path
        if config is not None:
            full += ["--policy-pack-config", str(config)]
        env = {**self.env, "PULUMI_ENABLE_STREAMING_JSON_PREVIEW": "true"}
        result = pulumi(*full, cwd=self.directory, env=env)
        if check:
            assert result.returncode == 0, result.stderr[-2000:]
        return result

    def offline(self, mode: str, config: Path | dict[str, Any] | None) -> set[Verdict]:
        report = check_program(REPO / self.python_program, stack=self.stack, mode=mode, policy_config=config)
        return {Verdict(v.policy, v.urn, v.enforcement_level) for v in report.violations}


@pytest.fixture(params=list(TWINS))
def yaml_stack(request: pytest.FixtureRequest, tmp_path: Path) -> YamlStack:
    return YamlStack(request.param, tmp_path)


def exit_code(verdicts: set[Verdict]) -> int:
    return 1 if any(v.level == "mandatory" for v in verdicts) else 0


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.name if c else "no-config")
def test_preview_gives_the_offline_checks_preview_verdicts(yaml_stack: YamlStack, pack: Path,
                                                          config: Path | None) -> None:
    result = yaml_stack.run("preview", "--json", "--non-interactive", pack=pack, config=config, check=False)
    expected = yaml_stack.offline("preview", config)
    assert engine_verdicts(engine_events(result.stdout, "policyEvent")) == expected
    assert result.returncode == exit_code(expected), result.stderr[-2000:]
    applied = check_program(REPO / yaml_stack.python_program, stack=yaml_stack.stack, mode="preview",
                            policy_config=config).remediations
    remediated = {(e["policyName"], e["resourceUrn"]) for e in engine_events(result.stdout, "policyRemediationEvent")}
    assert remediated == {(r.policy, r.urn) for r in applied}


def test_up_then_policy_analyze_of_the_exported_state_give_the_update_verdicts(
    yaml_stack: YamlStack, pack: Path, tmp_path: Path
) -> None:
    up = yaml_stack.run("up", "--yes", "--skip-preview", "--json", "--non-interactive", pack=pack, config=ADVISORY)
    assert engine_verdicts(engine_events(up.stdout, "policyEvent")) == yaml_stack.offline("update", ADVISORY)

    exported = yaml_stack.run("stack", "export", "--show-secrets", "--stack", yaml_stack.stack)
    state = tmp_path / "state.json"
    state.write_text(exported.stdout)
    analyzed = yaml_stack.run("policy", "analyze", "--file", str(state), "--json", pack=pack, check=False)
    expected = yaml_stack.offline("update", None)
    stack_only = {v for v in expected if v.policy in STACK_CONTEXT_POLICIES}
    # policy analyze tells the pack no stack (see test_engine_analyze.stack_context): the policies that read it
    # see none.
    assert engine_verdicts(engine_events(analyzed.stdout, "policyEvent")) == expected - stack_only



def test_up_applies_the_remediations_the_offline_check_reports(
    yaml_stack: YamlStack, pack: Path, tmp_path: Path
) -> None:
    """With everything advisory but tags and retention at remediate (development.json): the engine applies what it
    can and fails the update where a remediation leaves a violation, as the offline check reports it."""
    config = {**ADVISORY, **json.loads((REPO / "policy-config" / "development.json").read_text())}
    up = yaml_stack.run("up", "--yes", "--skip-preview", "--json", "--non-interactive", pack=pack, config=config,
                        check=False)
    report = check_program(REPO / yaml_stack.python_program, stack=yaml_stack.stack, mode="update",
                           policy_config=config)
    expected = {Verdict(v.policy, v.urn, v.enforcement_level) for v in report.violations}
    found = engine_verdicts(engine_events(up.stdout, "policyEvent"))
    remediated = {(e["policyName"], e["resourceUrn"]) for e in engine_events(up.stdout, "policyRemediationEvent")}
    assert up.returncode == exit_code(expected)
    if up.returncode != 0:
        # `up` fails a resource at its first mandatory violation, before its Create, and then creates and judges
        # nothing that depends on it, nor the stack (pkg/resource/deploy/step_generator.go, deployment_executor.go):
        # what it reports is a part of the offline check's verdicts, a mandatory one among them.
        assert found <= expected
        assert any(v.level == "mandatory" for v in found)
        assert remediated <= {(r.policy, r.urn) for r in report.remediations}
        return
    assert found == expected
    assert remediated == {(r.policy, r.urn) for r in report.remediations}
    # The stored inputs are the remediated ones: judged again, nothing is left to remediate.
    exported = yaml_stack.run("stack", "export", "--show-secrets", "--stack", yaml_stack.stack)
    state = tmp_path / "state.json"
    state.write_text(exported.stdout)
    again = yaml_stack.run("policy", "analyze", "--file", str(state), "--json", pack=pack, config=config, check=False)
    assert engine_events(again.stdout, "policyRemediationEvent") == []


def test_a_stack_with_no_config_starts_the_pack(pack: Path, tmp_path: Path) -> None:
    """The engine sends ConfigureStack a nil config map for a stack without config; the pack still starts."""
    stack = YamlStack("unrotated", tmp_path)
    (stack.directory / "Pulumi.dev.yaml").unlink()
    result = stack.run("preview", "--json", "--non-interactive", pack=pack, check=False)
    assert result.returncode == 1, result.stderr[-2000:]
    assert Verdict(
        "aws-resource-require-tags", "urn:pulumi:dev::offline-unrotated::aws:lambda/function:Function::big-fn",
        "mandatory",
    ) in engine_verdicts(engine_events(result.stdout, "policyEvent"))
