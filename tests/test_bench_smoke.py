"""Keeps the benchmark working: a tiny `python bench/run.py --quick`; checks the result's shape, not timings."""

from __future__ import annotations

import json
import pstats
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench import stack as bench_stack

ROOT = Path(__file__).resolve().parent.parent
STACK_METRICS = {"analyze_p50_ms", "analyze_p99_ms", "analyze_mean_ms", "analyze_total_s", "analyze_cpu_s",
                 "analyze_stack_s", "analyze_stack_cpu_s", "vmhwm_kib"}
URN = re.compile(r"^urn:pulumi:dev::bench::(?:[^:$]+:[^$]*\$)*[^:$]+:[^$]*::[^:]+$")


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("bench") / "result.json"
    completed = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--sizes", "12,24", "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Targets" in completed.stdout and "pack/baseline" in completed.stdout
    loaded: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return loaded


def test_result_has_the_expected_keys(result: dict[str, Any]) -> None:
    assert {"schema", "command", "machine", "settings", "packs", "startup", "stacks", "targets",
            "offline_check"} <= set(result)
    assert {"nproc", "cpu", "python"} <= set(result["machine"])
    assert result["settings"]["sizes"] == [12, 24]
    assert set(result["packs"]) == {"pack", "baseline", "sdk_floor"}
    for key in ("pack", "baseline"):
        assert {"spawn_to_port_s", "spawn_to_info_s", "rss_after_info_kib"} <= set(result["startup"][key]["median"])
    assert {"spawn_to_port_s", "spawn_to_info_s"} <= set(result["startup"]["ratio"])
    assert set(result["stacks"]) == {"12", "24"}
    for entry in result["stacks"].values():
        for key in ("pack", "baseline", "sdk_floor"):
            assert set(entry[key]["median"]) >= STACK_METRICS
        assert set(entry["ratio"]) >= STACK_METRICS
    assert result["offline_check"] == {"skipped": "--check-runs 0"}
    assert {t["name"].split(" ")[0] for t in result["targets"]} == {"start-up,", "Analyze", "AnalyzeStack"}
    assert all({"value", "limit", "met"} <= set(t) for t in result["targets"])


def test_every_policy_was_configured_and_ran(result: dict[str, Any]) -> None:
    pack = result["packs"]["pack"]
    run = result["stacks"]["24"]["pack"]["runs"][0]
    assert sum(run["configured_levels"].values()) == pack["policies"] > 2
    assert "mandatory" in run["configured_levels"]
    assert result["stacks"]["24"]["resources"] == 24
    floor = result["stacks"]["24"]["sdk_floor"]["runs"][0]
    assert sum(floor["configured_levels"].values()) == pack["policies"]


def test_stacks_are_deterministic_exact_and_well_formed() -> None:
    first, again = bench_stack.generate(57, seed=7), bench_stack.generate(57, seed=7)
    assert first == again
    assert len(first.resources) == 57
    assert bench_stack.generate(23, seed=7).resources == first.resources[:23]  # smaller stacks are prefixes
    urns = {r.urn for r in first.resources}
    assert len(urns) == 57
    for resource in first.resources:
        assert URN.match(resource.urn), resource.urn
        assert resource.parent in urns or resource.type == bench_stack.STACK_TYPE
        for sources in resource.property_dependencies.values():
            assert set(sources) <= urns
        assert set(resource.dependencies) <= urns
    types = first.counts()
    assert types[bench_stack.STACK_TYPE] == 1 and types[bench_stack.PROVIDER_TYPE] == 1
    assert {"aws:lambda/function:Function", "aws:lambda/alias:Alias", "aws:iam/role:Role",
            "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"} <= set(types)


def test_profile_mode_profiles_the_methods_the_pack_process_runs(tmp_path: Path) -> None:
    """`--profile` wraps the servicer's methods as the pack left them, which shows the pack runs sdk_analyze's."""
    completed = subprocess.run(
        [sys.executable, "bench/run.py", "--sizes", "24", "--profile", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "analyze.prof" in completed.stdout and "pack policy code" in completed.stdout
    for name, method in (("analyze.prof", "analyze"), ("analyze_stack.prof", "analyze_stack")):
        functions = pstats.Stats(str(tmp_path / name)).stats  # type: ignore[attr-defined]
        assert any(file.endswith("policypack/sdk_analyze.py") and function == method
                   for file, _line, function in functions), name


def test_the_hostile_regex_benchmark_runs_every_pattern() -> None:
    from bench.regex import HOSTILE

    completed = subprocess.run([sys.executable, "bench/regex.py", "--runs", "1"], cwd=ROOT, capture_output=True,
                               text=True, timeout=180, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    rows = [line for line in completed.stdout.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1].replace("\\|", "|") for row in rows] == list(HOSTILE)
    assert "target at most +10 ms" in completed.stdout
