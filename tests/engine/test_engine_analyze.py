"""The engine tier: the real Pulumi CLI (v3.274.1) runs the pack, and its verdicts equal the offline check's.

`pulumi policy analyze --file` judges the state an update of each program would leave (the offline check's
`--mode update` capture, written as `pulumi stack export` writes a state) with the pack started by the engine,
under every ready-made config. What the engine does differently there, by design, is applied to the offline side
with its source: see `analyze_config` and `stack_context`.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from engine_support import (
    REPO,
    Verdict,
    capture,
    deployment,
    engine_events,
    engine_verdicts,
    lay_out_pack,
    pulumi,
)

from lambda_guardrails.offline.config import LEVEL_KEY
from lambda_guardrails.offline.errors import CheckError
from lambda_guardrails.offline.project import load_program, load_stack_config
from lambda_guardrails.testing import check_program

pytestmark = pytest.mark.engine

# Every program under tests/ (and the two the README checks) that the offline check runs, with its stack.
PROGRAMS: dict[str, str] = {
    "reference_stack": "dev",
    "reference_stack@prod": "prod",
    "examples/seed-model-response": "dev",
    "tests/programs/iam_from_output": "dev",
    "tests/programs/secrets_everywhere": "dev",
    "tests/offline/programs/basic": "dev",
    "tests/offline/programs/data_sources": "dev",
    "tests/offline/programs/located": "dev",
    "tests/offline/programs/serverless_outputs": "dev",
    "tests/offline/programs/custom_main": "staging",
    "tests/offline/programs/shapes": "test",
    "tests/offline/programs/transforms": "dev",
    "tests/offline/programs/unrotated": "dev",
    "tests/offline/twins/component/python": "dev",
    "tests/offline/twins/custom_main/python": "staging",
    "tests/offline/twins/javascript/python": "dev",
    "tests/offline/twins/provider_tags/python": "dev",
    "tests/offline/twins/secret_config/python": "dev",
}
# Node.js programs: the real CLI here has no Node.js language host (README, "The real engine"); the offline check
# holds them to their Python twins above.
NODE_PROGRAMS: frozenset[str] = frozenset(
    f"tests/offline/twins/{shape}/nodejs" for shape in ("component", "custom_main", "javascript", "provider_tags",
                                                        "secret_config")
) | {"tests/offline/twins/bad/compile", "tests/offline/twins/bad/throws", "tests/offline/twins/bad/throws_in_apply"}
# Programs the offline check refuses on purpose (they raise, call an unknown invoke, register a URN twice or
# outlast a test), one that waits for a test pack to have analysed its first resource, one whose awsx components
# need a provider plugin the tier does not have, and one whose NaN properties no state file can hold (JSON has no
# NaN).
NOT_RUN: frozenset[str] = frozenset(
    {
        "tests/offline/programs/awsx_component",
        "tests/offline/programs/duplicate_urn",
        "tests/offline/programs/nan_props",
        "tests/offline/programs/raises",
        "tests/offline/programs/slow",
        "tests/offline/programs/streamed",
        "tests/offline/programs/unknown_invoke",
        "tests/programs/secret_in_apply",
        "tests/programs/secret_in_error",
    }
)
CONFIGS: list[Path | None] = [None, *sorted((REPO / "policy-config").glob("*.json"))]


def program_dir(key: str) -> Path:
    return REPO / key.split("@")[0]


@pytest.fixture(scope="session")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lay_out_pack(tmp_path_factory.mktemp("pack"))


@pytest.fixture(scope="session")
def states(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("states")
    paths = {}
    for key, stack in PROGRAMS.items():
        path = directory / f"{key.replace('/', '_')}.json"
        path.write_text(json.dumps(deployment(capture(program_dir(key), stack, preview=False))))
        paths[key] = path
    return paths


def stack_context(key: str) -> dict[str, str]:
    """`pulumi policy analyze` sends no ConfigureStack (pkg/cmd/pulumi/policy/policy_analyze.go passes no
    PolicyAnalyzerOptions), so the pack would see no stack, project or config; the tier hands the pack the stack's
    context through the environment, as the language host does after ConfigureStack, so that the comparison is
    about everything else."""
    program = load_program(program_dir(key))
    stack = load_stack_config(program, PROGRAMS[key])
    return {
        "PULUMI_ORGANIZATION": "organization",
        "PULUMI_PROJECT": program.name,
        "PULUMI_STACK": stack.name,
        "PULUMI_DRY_RUN": "false",
        "PULUMI_CONFIG": json.dumps(dict(stack.values)),
    }


def analyze_config(path: Path | None) -> dict[str, Any]:
    """`pulumi policy analyze` reports a remediation without applying it, then analyses the stored inputs and
    reports a remediate-level violation as mandatory (pkg/resource/deploy/analyze_snapshot.go:73-77, :216-243):
    what the offline check reports with that policy at mandatory."""
    data: dict[str, Any] = json.loads(path.read_text()) if path else {}
    for name, value in data.items():
        if value == "remediate":
            data[name] = "mandatory"
        elif isinstance(value, Mapping) and value.get(LEVEL_KEY) == "remediate":
            data[name] = {**value, LEVEL_KEY: "mandatory"}
    return data


def analyze(pack: Path, state: Path, key: str, config: Path | None) -> subprocess.CompletedProcess[str]:
    args = ["policy", "analyze", "--file", str(state), "--policy-pack", str(pack), "--json", "--non-interactive"]
    if config is not None:
        args += ["--policy-pack-config", str(config)]
    return pulumi(*args, cwd=state.parent, env=stack_context(key))


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.name if c else "no-config")
@pytest.mark.parametrize("key", list(PROGRAMS))
def test_policy_analyze_gives_the_offline_checks_update_verdicts(
    pack: Path, states: dict[str, Path], key: str, config: Path | None
) -> None:
    stack = PROGRAMS[key]
    result = analyze(pack, states[key], key, config)
    offline = check_program(program_dir(key), stack=stack, mode="update", policy_config=analyze_config(config))
    expected = {Verdict(v.policy, v.urn, v.enforcement_level) for v in offline.violations}
    assert engine_verdicts(engine_events(result.stdout, "policyEvent")) == expected
    assert result.returncode == (1 if any(v.level == "mandatory" for v in expected) else 0), result.stderr

    applied = check_program(program_dir(key), stack=stack, mode="update", policy_config=config)
    remediated = {(e["policyName"], e["resourceUrn"]) for e in engine_events(result.stdout, "policyRemediationEvent")}
    assert remediated == {(r.policy, r.urn) for r in applied.remediations}


def test_every_program_under_tests_is_in_the_tier() -> None:
    yaml_twins = REPO / "tests" / "engine" / "programs"
    found = {
        p.parent.relative_to(REPO).as_posix()
        for p in (REPO / "tests").rglob("Pulumi.yaml")
        if yaml_twins not in p.parents and "node_modules" not in p.parts
    }
    assert found - NOT_RUN - NODE_PROGRAMS == {program_dir(k).relative_to(REPO).as_posix() for k in PROGRAMS} - {
        "reference_stack",
        "examples/seed-model-response",
    }


BAD_CONFIGS: dict[str, tuple[dict[str, Any], str, str]] = {
    # name: (config, the policy or key the engine names, the key the offline check names)
    "wrong type": (
        {"lambda-reserved-concurrency-restrict-per-function": {"accountConcurrencyLimit": "many"}},
        "lambda-reserved-concurrency-restrict-per-function: accountConcurrencyLimit: Invalid type",
        "accountConcurrencyLimit",
    ),
    "out of range": (
        {"lambda-reserved-concurrency-restrict-per-function": {"maxFunctionShare": 7}},
        "lambda-reserved-concurrency-restrict-per-function: maxFunctionShare: Must be less than or equal to 1",
        "maxFunctionShare",
    ),
    "wrong item type": (
        {"aws-resource-require-tags": {"requiredTags": [1]}},
        "aws-resource-require-tags: requiredTags.0: Invalid type",
        "requiredTags[0]",
    ),
    "not a level": (
        {"all": "blocking"},
        'parsing enforcement level for "all": "blocking" is not a valid enforcement level',
        "all",
    ),
    "properties for no policy": (
        {"lambda-reserved-concurency-restrict-per-function": {"accountConcurrencyLimit": 3000}},
        'configuring policy pack "aws-lambda-guardrails": invalid enforcement level ""',
        "lambda-reserved-concurency-restrict-per-function",
    ),
    "a regex that does not compile (the schema's format)": (
        {"aws-resource-name-restrict-suffix-format": {"suffixPattern": "(dev"}},
        "aws-resource-name-restrict-suffix-format: suffixPattern: Does not match format 'regex'",
        "suffixPattern",
    ),
    "an expiry that is no date (the schema's format)": (
        {"lambda-function-configure-arm64": {"exemptions": [{"resource": "x", "reason": "r",
                                                              "expires": "2020-02-30"}]}},
        "lambda-function-configure-arm64: exemptions.0.expires: Does not match format 'date'",
        "2020-02-30",
    ),
    "properties for all": (
        {"all": {"accountConcurrencyLimit": 3000}},
        'configuring policy pack "aws-lambda-guardrails": invalid enforcement level ""',
        "all",
    ),
}


@pytest.mark.parametrize("name", list(BAD_CONFIGS))
def test_a_config_the_engine_rejects_the_offline_check_rejects(
    pack: Path, states: dict[str, Path], tmp_path: Path, name: str
) -> None:
    config, engine_names, offline_names = BAD_CONFIGS[name]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    key = "examples/seed-model-response"
    result = analyze(pack, states[key], key, path)
    assert result.returncode == 1
    assert engine_events(result.stdout, "policyEvent") == []
    assert engine_names in result.stderr
    with pytest.raises(CheckError) as error:
        check_program(program_dir(key), mode="update", policy_config=path)
    assert offline_names in str(error.value)


@pytest.mark.parametrize(
    "config",
    [
        {"lambda-reserved-concurrency-restrict-per-function": {"accountConcurrencyLimt": 3000}},
        {"no-such-policy": "mandatory"},
        {"all": "advisory"},
        {"version": 2, "policies": {"all": "advisory", "lambda-function-configure-arm64": "mandatory"}},
    ],
    ids=["misspelt key", "unknown policy with a level", "all", "version 2"],
)
def test_a_config_the_engine_accepts_the_offline_check_accepts_with_its_verdicts(
    pack: Path, states: dict[str, Path], tmp_path: Path, config: dict[str, Any]
) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    key = "examples/seed-model-response"
    result = analyze(pack, states[key], key, path)
    offline = check_program(program_dir(key), mode="update", policy_config=path)
    expected = {Verdict(v.policy, v.urn, v.enforcement_level) for v in offline.violations}
    assert engine_verdicts(engine_events(result.stdout, "policyEvent")) == expected
    assert result.returncode == (1 if any(v.level == "mandatory" for v in expected) else 0), result.stderr


def test_the_cli_is_the_pinned_release() -> None:
    assert pulumi("version", cwd=REPO).stdout == "v3.274.1\n"


def test_the_pack_runs_from_the_published_layout_with_only_its_requirements(pack: Path) -> None:
    directory = pack.parent
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [".venv", "PulumiPolicy.yaml", "__main__.py", "requirements.txt", "policypack", pack.name]
    )
    installed = os.listdir(next((directory / ".venv" / "lib").glob("python3*/site-packages")))
    assert "pulumi_aws" not in installed
    assert "pulumi_policy" in installed
