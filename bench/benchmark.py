"""The benchmark behind `python bench/run.py`: this pack against an empty baseline pack, alternating run by run.

Measured per pack, each in a fresh process started as the CLI starts it:
- start-up: spawn to the port line, and spawn to GetAnalyzerInfo answered;
- per size: after Configure (every policy at its level, schema defaults), one Analyze per resource (p50, p99) and
  one AnalyzeStack over the whole stack, then the process's peak memory (VmHWM);
- the offline check of the reference stack, end to end (`python -m policypack check reference_stack`).

Besides the two packs of the targets, the stack runs include an "SDK floor": the baseline pack started with as
many do-nothing resource and stack policies as this pack has, on the SDK's own code path. It pays the SDK's
per-policy cost (the SDK deserializes a resource's props once per resource policy, and every resource once per
stack policy) and nothing else: floor - baseline is what that costs, and this pack, which reads each request once
(policypack/sdk_analyze.py), runs under the floor by about as much.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import pstats
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Final

from . import driver
from .stack import RESOURCES_PER_SERVICE, generate

BENCH_DIR: Final = Path(__file__).resolve().parent
ROOT: Final = BENCH_DIR.parent
BASELINE_DIR: Final = BENCH_DIR / "baseline_pack"
DEFAULT_OUTPUT: Final = BENCH_DIR / "results" / "latest.json"
DEFAULT_SIZES: Final = (1000, 5000, 10000)
QUICK_SIZES: Final = (24, 48)
SCHEMA: Final = 1

STARTUP_LIMIT: Final = 1.15
ANALYZE_P50_LIMIT: Final = 1.25
GROWTH_SLACK: Final = 1.2  # AnalyzeStack at 10x the resources may take at most 12x the time
CHECK_COMMAND: Final = ("-m", "policypack", "check", "reference_stack")
SEEDS: Final = {"python": "examples/seed-model-response", "typescript": "examples/seed-model-response-ts"}
SEED_TS_LIMIT: Final = 1.5  # the TypeScript seed's check may take 1.5x the Python seed's

PACK_KEYS: Final = ("pack", "baseline", "sdk_floor")
STACK_METRICS: Final = ("analyze_p50_ms", "analyze_p99_ms", "analyze_mean_ms", "analyze_total_s", "analyze_cpu_s",
                        "analyze_stack_s", "analyze_stack_cpu_s", "vmhwm_kib")
STARTUP_METRICS: Final = ("spawn_to_port_s", "spawn_to_info_s", "rss_after_info_kib")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help=f"comma-separated stack sizes (default {','.join(map(str, DEFAULT_SIZES))})")
    parser.add_argument("--runs", type=int, help="runs per pack and stack size (default 3)")
    parser.add_argument("--startup-runs", type=int, help="start-up runs per pack (default 5)")
    parser.add_argument("--check-runs", type=int, help="runs of the offline check of reference_stack (default 5; 0 "
                        "skips it)")
    parser.add_argument("--quick", action="store_true", help="CI smoke run: tiny stacks, one run of everything, no "
                        "offline check (explicit flags still win)")
    parser.add_argument("--no-floor", action="store_true", help="skip the SDK-floor pack in the stack runs")
    parser.add_argument("--snapshot", action="store_true", help="benchmark a copy of the pack taken at the start "
                        "(PulumiPolicy.yaml, __main__.py, policypack/), so that edits during the run change nothing")
    parser.add_argument("--seed", type=int, default=42, help="stack generator seed (default 42)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON result (default "
                        "bench/results/latest.json)")
    parser.add_argument("--markdown", type=Path, help="also write the figures as Markdown (e.g. bench/RESULTS.md)")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="instead of benchmarking: run this pack once "
                        "over the largest stack under cProfile (bench/profiled_pack.py), write DIR/*.prof and print "
                        "where the time goes")
    args = parser.parse_args(list(argv))
    quick = args.quick
    args.sizes = _sizes(args.sizes) if args.sizes else list(QUICK_SIZES if quick else DEFAULT_SIZES)
    args.runs = args.runs if args.runs is not None else (1 if quick else 3)
    args.startup_runs = args.startup_runs if args.startup_runs is not None else (1 if quick else 5)
    args.check_runs = args.check_runs if args.check_runs is not None else (0 if quick else 5)
    if args.runs < 1 or args.startup_runs < 1 or args.check_runs < 0:
        parser.error("--runs and --startup-runs must be at least 1, --check-runs at least 0")
    return args


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise SystemExit(f"error: --sizes {text!r}: comma-separated whole numbers expected") from None
    if not sizes or sizes[0] < 2:
        raise SystemExit("error: --sizes: every stack has at least 2 resources (root stack and provider)")
    return sizes


# --- the machine ------------------------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def git_state() -> dict[str, Any]:
    """The commit measured and whether the pack's files differ from it (a benchmark of uncommitted work)."""
    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
        except OSError:
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    changed = git("status", "--porcelain", "--", *SNAPSHOT_FILES)
    return {"head": git("rev-parse", "--short", "HEAD") or None,
            "pack_files_changed": len(changed.splitlines()) if changed else 0}


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": driver.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": _loadavg(),
        "packages": {p: _version(p) for p in ("pulumi", "pulumi-policy", "grpcio", "protobuf")},
    }


# --- aggregation ------------------------------------------------------------------------------------------------


def _median(runs: Sequence[Mapping[str, Any]], key: str) -> float | None:
    values = [run[key] for run in runs if run.get(key) is not None]
    return statistics.median(values) if values else None


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _order(run: int, keys: Sequence[str]) -> list[str]:
    """Rotate which pack goes first, run by run, so drift in the machine's load hits every pack alike."""
    shift = run % len(keys)
    return [*keys[shift:], *keys[:shift]]


def _progress(text: str) -> None:
    sys.stderr.write(f"[bench] {text}\n")
    sys.stderr.flush()


def run_startup(packs: Mapping[str, driver.Pack], runs: int) -> dict[str, Any]:
    keys = ("pack", "baseline")
    samples: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
    for key in keys:  # unmeasured: fills the bytecode cache and the page cache
        driver.measure_startup(packs[key])
    for run in range(runs):
        for key in _order(run, keys):
            samples[key].append(driver.measure_startup(packs[key]))
        _progress(f"start-up run {run + 1}/{runs}: pack {samples['pack'][-1]['spawn_to_info_s']:.3f} s, baseline "
                  f"{samples['baseline'][-1]['spawn_to_info_s']:.3f} s")
    result: dict[str, Any] = {}
    for key in keys:
        result[key] = {"runs": samples[key], "median": {m: _median(samples[key], m) for m in STARTUP_METRICS}}
    result["ratio"] = {m: _ratio(result["pack"]["median"][m], result["baseline"]["median"][m])
                       for m in STARTUP_METRICS}
    return result


def run_stacks(packs: Mapping[str, driver.Pack], sizes: Sequence[int], runs: int, seed: int) -> dict[str, Any]:
    keys = [key for key in PACK_KEYS if key in packs]
    result: dict[str, Any] = {}
    for size in sizes:
        stack = generate(size, seed)
        requests = driver.analyze_requests(stack)
        stack_request = driver.analyze_stack_request(stack)
        samples: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
        for run in range(runs):
            for key in _order(run, keys):
                samples[key].append(driver.measure_stack(packs[key], requests, stack_request))
            _progress(f"{size} resources, run {run + 1}/{runs}: " + ", ".join(
                f"{key} p50 {samples[key][-1]['analyze_p50_ms']:.3f} ms / AnalyzeStack "
                f"{samples[key][-1]['analyze_stack_s']:.3f} s" for key in keys))
        entry: dict[str, Any] = {
            "resources": len(stack.resources),
            "types": stack.counts(),
            "defects": stack.defects,
            "request_bytes": {"analyze_total": sum(r.ByteSize() for r in requests),
                              "analyze_stack": stack_request.ByteSize()},
        }
        for key in keys:
            entry[key] = {"runs": samples[key], "median": {m: _median(samples[key], m) for m in STACK_METRICS}}
        entry["ratio"] = {m: _ratio(entry["pack"]["median"][m], entry["baseline"]["median"][m])
                          for m in STACK_METRICS}
        if "sdk_floor" in entry:
            entry["ratio_to_sdk_floor"] = {m: _ratio(entry["pack"]["median"][m], entry["sdk_floor"]["median"][m])
                                           for m in STACK_METRICS}
        result[str(size)] = entry
    return result


def run_offline_check(runs: int) -> dict[str, Any]:
    if runs == 0:
        return {"skipped": "--check-runs 0"}
    command = [sys.executable, *CHECK_COMMAND]
    env = driver.subprocess_env()
    walls: list[float] = []
    codes: list[int] = []
    for run in range(-1, runs):  # run -1 warms the bytecode cache (pulumi_aws is large) and is not counted
        begin = time.perf_counter()
        completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
                                   check=False)
        wall = time.perf_counter() - begin
        if run < 0 and completed.returncode in (0, 1):
            continue
        walls.append(wall)
        codes.append(completed.returncode)
        if completed.returncode not in (0, 1):
            last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
            return {"command": shlex.join(["python", *CHECK_COMMAND]), "error": f"exit code "
                    f"{completed.returncode}: {last}", "wall_s": walls, "exit_codes": codes}
        _progress(f"offline check run {run + 1}/{runs}: {walls[-1]:.3f} s (exit {completed.returncode})")
    return {"command": shlex.join(["python", *CHECK_COMMAND]), "cwd": ".", "wall_s": walls,
            "median_s": statistics.median(walls), "exit_codes": codes}


def run_seed_checks(runs: int) -> dict[str, Any]:
    """The offline check of the seed in Python and in TypeScript, alternating run by run, and what Node.js itself
    costs: its start-up, and @pulumi/pulumi's run of the program (the capture, TypeScript compilation included)
    beside the Python capture."""
    if runs == 0:
        return {"skipped": "--check-runs 0"}
    if not (ROOT / SEEDS["typescript"] / "node_modules").is_dir():
        return {"skipped": f"no node_modules: run npm ci in {SEEDS['typescript']}"}
    env = driver.subprocess_env()
    walls: dict[str, list[float]] = {key: [] for key in SEEDS}
    captures: dict[str, list[float]] = {key: [] for key in SEEDS}
    node_start: list[float] = []
    for run in range(-1, runs):
        for key, program in SEEDS.items():
            begin = time.perf_counter()
            completed = subprocess.run([sys.executable, "-m", "policypack", "check", program], cwd=ROOT, env=env,
                                       capture_output=True, text=True, timeout=600, check=False)
            wall = time.perf_counter() - begin
            if completed.returncode != 1:
                last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
                return {"error": f"{program}: exit code {completed.returncode}: {last}"}
            if run >= 0:
                walls[key].append(wall)
                captures[key].append(_capture_seconds(program, env))
        if run >= 0:
            begin = time.perf_counter()
            subprocess.run(["node", "-e", "0"], check=True)
            node_start.append(time.perf_counter() - begin)
            _progress(f"seed checks run {run + 1}/{runs}: python {walls['python'][-1]:.3f} s, typescript "
                      f"{walls['typescript'][-1]:.3f} s")
    medians = {key: statistics.median(values) for key, values in walls.items()}
    return {"wall_s": walls, "median_s": medians, "ratio": _ratio(medians["typescript"], medians["python"]),
            "capture_median_s": {key: statistics.median(values) for key, values in captures.items()},
            "node_start_median_s": statistics.median(node_start)}


_CAPTURE_SCRIPT: Final = """
import sys, time
from pathlib import Path
from lambda_guardrails.offline.capture import capture_process
from lambda_guardrails.offline.project import load_program, load_stack_config
program = load_program(Path(sys.argv[1]))
process = capture_process(program, load_stack_config(program, "dev"), True)
begin = time.perf_counter()
process.start()
try:
    process.result()
finally:
    process.stop()
print(time.perf_counter() - begin)
"""


def _capture_seconds(program: str, env: Mapping[str, str]) -> float:
    """Start to capture of the program alone (its child process, the program's run and the answers to it)."""
    completed = subprocess.run([sys.executable, "-c", _CAPTURE_SCRIPT, program], cwd=ROOT,
                               env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=600,
                               check=True)
    return float(completed.stdout.strip().splitlines()[-1])


def growth(stacks: Mapping[str, Any], sizes: Sequence[int]) -> dict[str, Any]:
    """time(largest) / time(smallest) of AnalyzeStack per pack, by wall time and by the pack process's CPU time."""
    if len(sizes) < 2:
        return {}
    small, large = stacks[str(sizes[0])], stacks[str(sizes[-1])]
    result: dict[str, Any] = {"from": sizes[0], "to": sizes[-1], "linear": sizes[-1] / sizes[0]}
    for key in PACK_KEYS:
        if key in small and key in large:
            result[key] = {metric: _ratio(large[key]["median"][metric], small[key]["median"][metric])
                           for metric in ("analyze_stack_s", "analyze_stack_cpu_s")}
    return result


def targets(startup: Mapping[str, Any], stacks: Mapping[str, Any], sizes: Sequence[int]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def target(name: str, value: float | None, limit: float) -> None:
        found.append({"name": name, "value": value, "limit": limit,
                      "met": value is not None and value <= limit})

    target("start-up, spawn to GetAnalyzerInfo (pack / baseline)", startup["ratio"]["spawn_to_info_s"],
           STARTUP_LIMIT)
    for size in sizes:
        target(f"Analyze p50 at {size} resources (pack / baseline)", stacks[str(size)]["ratio"]["analyze_p50_ms"],
               ANALYZE_P50_LIMIT)
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        growth = _ratio(stacks[str(large)]["pack"]["median"]["analyze_stack_s"],
                        stacks[str(small)]["pack"]["median"]["analyze_stack_s"])
        target(f"AnalyzeStack growth {small} -> {large} resources (pack, time({large}) / time({small}))", growth,
               round(GROWTH_SLACK * large / small, 3))
    return found


# --- rendering --------------------------------------------------------------------------------------------------


def _fmt(value: float | None, unit: str = "", digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}{unit}"


def _mib(kib: float | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f} MiB"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return out


def _startup_rows(startup: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for label, metric in (("spawn -> port line", "spawn_to_port_s"), ("spawn -> GetAnalyzerInfo", "spawn_to_info_s")):
        pack, base = startup["pack"]["median"][metric], startup["baseline"]["median"][metric]
        rows.append([label, _fmt(pack, " s"), _fmt(base, " s"), _fmt(startup["ratio"][metric], "x", 2)])
    rows.append(["RSS after GetAnalyzerInfo", _mib(startup["pack"]["median"]["rss_after_info_kib"]),
                 _mib(startup["baseline"]["median"]["rss_after_info_kib"]),
                 _fmt(startup["ratio"]["rss_after_info_kib"], "x", 2)])
    return rows


def _stack_rows(stacks: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    floor = any("sdk_floor" in entry for entry in stacks.values())
    header = ["resources", "metric", "pack", "baseline", "pack/baseline"]
    if floor:
        header += ["SDK floor", "pack/floor"]
    rows: list[list[str]] = []
    metrics: list[tuple[str, str, Callable[[float | None], str]]] = [
        ("Analyze p50", "analyze_p50_ms", lambda v: _fmt(v, " ms")),
        ("Analyze p99", "analyze_p99_ms", lambda v: _fmt(v, " ms")),
        ("Analyze, all resources", "analyze_total_s", lambda v: _fmt(v, " s")),
        ("Analyze, all, pack CPU", "analyze_cpu_s", lambda v: _fmt(v, " s", 2)),
        ("AnalyzeStack", "analyze_stack_s", lambda v: _fmt(v, " s")),
        ("AnalyzeStack, pack CPU", "analyze_stack_cpu_s", lambda v: _fmt(v, " s", 2)),
        ("peak memory (VmHWM)", "vmhwm_kib", _mib),
    ]
    for size, entry in stacks.items():
        for label, metric, show in metrics:
            row = [size, label, show(entry["pack"]["median"][metric]), show(entry["baseline"]["median"][metric]),
                   _fmt(entry["ratio"][metric], "x", 2)]
            if floor:
                row += [show(entry["sdk_floor"]["median"][metric]) if "sdk_floor" in entry else "-",
                        _fmt(entry.get("ratio_to_sdk_floor", {}).get(metric), "x", 2)]
            rows.append(row)
    return header, rows


def _growth_lines(found: Mapping[str, Any]) -> list[str]:
    if not found:
        return []
    parts = [f"{key} {_fmt(found[key]['analyze_stack_s'], 'x', 2)} "
             f"(CPU {_fmt(found[key]['analyze_stack_cpu_s'], 'x', 2)})" for key in PACK_KEYS if key in found]
    return [f"AnalyzeStack growth {found['from']} -> {found['to']} resources (linear: {found['linear']:g}x): "
            + ", ".join(parts)]


def render_text(result: Mapping[str, Any]) -> str:
    m = result["machine"]
    settings = result["settings"]
    lines = [
        f"aws-lambda-guardrails benchmark ({result['finished']})",
        f"command: {result['command']}",
        f"commit: {result.get('git', {}).get('head')} ({result.get('git', {}).get('pack_files_changed')} of the "
        "pack's files changed since)",
        f"machine: {m['nproc']} CPUs, {m['cpu']}, Python {m['python']}, loadavg {m['loadavg_at_start']} -> "
        f"{m.get('loadavg_at_end')}",
        f"packs: pack = {result['packs']['pack']['directory']} ({result['packs']['pack']['policies']} policies), "
        "baseline = bench/baseline_pack (1 resource + 1 stack policy, no-ops)"
        + (f", SDK floor = baseline with {result['packs']['sdk_floor']['resource_policies']} + "
           f"{result['packs']['sdk_floor']['stack_policies']} no-op policies" if "sdk_floor" in result["packs"]
           else ""),
        f"medians of {settings['startup_runs']} start-up runs and {settings['runs']} runs per stack size, packs "
        f"alternating; stacks seeded ({settings['seed']})",
        "",
        "Start-up",
        *_table(["", "pack", "baseline", "pack/baseline"], _startup_rows(result["startup"])),
        "",
        "Stacks (Analyze: one RPC per resource after Configure; AnalyzeStack: one RPC, whole stack)",
        *_table(*_stack_rows(result["stacks"])),
        *_growth_lines(result.get("growth") or {}),
        "",
        "Targets",
        *_table(["target", "value", "limit", "met"],
                [[t["name"], _fmt(t["value"], "x", 2), f"{t['limit']}x", "yes" if t["met"] else "NO"]
                 for t in result["targets"]]),
        "",
    ]
    check = result["offline_check"]
    if "median_s" in check:
        lines.append(f"Offline check `{check['command']}`: median {check['median_s']:.3f} s wall over "
                     f"{len(check['wall_s'])} runs (exit codes {sorted(set(check['exit_codes']))})")
    else:
        lines.append(f"Offline check: {check.get('skipped') or check.get('error')}")
    seeds = result.get("seed_checks", {})
    if "ratio" in seeds:
        lines.append(f"Offline check of the seed, Python / TypeScript: median {seeds['median_s']['python']:.3f} s / "
                     f"{seeds['median_s']['typescript']:.3f} s wall ({seeds['ratio']:.2f}x, limit {SEED_TS_LIMIT}x) "
                     f"over {len(seeds['wall_s']['python'])} alternating runs; the capture alone "
                     f"{seeds['capture_median_s']['python']:.3f} s / {seeds['capture_median_s']['typescript']:.3f} "
                     f"s, of which Node.js start-up {seeds['node_start_median_s']:.3f} s")
    elif seeds:
        lines.append(f"Offline check of the seed: {seeds.get('skipped') or seeds.get('error')}")
    return "\n".join(lines) + "\n"


def render_markdown(result: Mapping[str, Any]) -> str:
    text = render_text(result)
    return ("# Benchmark results\n\nWritten by `python bench/run.py --markdown bench/RESULTS.md`; the full JSON is "
            "in `bench/results/latest.json` (git-ignored). See bench/README.md for what is measured and how.\n\n"
            f"```\n{text}```\n")


# --- profile mode -----------------------------------------------------------------------------------------------

# (file suffix, function) whose cumulative time is the SDK's or the pack's; the rest of a handler is SDK glue.
SDK_DESERIALIZE: Final = (("google/protobuf/json_format.py", "MessageToDict"),
                          ("pulumi_policy/deserialize.py", "deserialize_properties"),
                          ("pulumi_policy/proxy.py", "unknown_checking_proxy"))
PACK_CODE: Final = (("policypack/framework.py", "_validate"),)
PACK_DETAIL: Final = (("policypack/values.py", "plain"), ("policypack/framework.py", "__init__"),
                      ("policypack/framework.py", "merged_config"), ("policypack/framework.py", "judge_exemptions"),
                      ("policypack/framework.py", "parse_exemptions"))


def _cumulative(stats: pstats.Stats, wanted: Sequence[tuple[str, str]]) -> dict[str, float]:
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    found: dict[str, float] = {}
    for (filename, line, function), (_cc, _nc, _tt, cumulative, _callers) in raw.items():
        for suffix, name in wanted:
            if function == name and filename.endswith(suffix):
                key = f"{suffix}:{function}" + (f" (line {line})" if name in ("__init__", "_validate") else "")
                found[key] = found.get(key, 0.0) + cumulative
    return found


def summarize_profile(path: Path) -> str:
    stats = pstats.Stats(str(path))
    total: float = stats.total_tt  # type: ignore[attr-defined]
    lines = [f"{path.name}: {total:.3f} s profiled"]
    for title, wanted in (("SDK deserialization", SDK_DESERIALIZE), ("pack policy code", PACK_CODE),
                          ("inside the pack's code", PACK_DETAIL)):
        parts = _cumulative(stats, wanted)
        lines.append(f"  {title}: {sum(parts.values()):.3f} s ({sum(parts.values()) / total:.0%})"
                     if title != "inside the pack's code" else f"  {title}:")
        lines += [f"    {key}: {value:.3f} s ({value / total:.0%})" for key, value in sorted(
            parts.items(), key=lambda item: -item[1])]
    return "\n".join(lines)


def run_profile(args: argparse.Namespace, target: driver.Pack) -> int:
    out: Path = args.profile.resolve()
    size = args.sizes[-1]
    stack = generate(size, args.seed)
    _progress(f"profiling {target.label} over {size} resources into {out}")
    measured = driver.measure_stack(driver.profiled(target, out), driver.analyze_requests(stack),
                                    driver.analyze_stack_request(stack))
    deadline = time.monotonic() + 30
    while not (out / "analyze_stack.prof").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    print(f"under the profiler: Analyze p50 {measured['analyze_p50_ms']:.3f} ms, AnalyzeStack "
          f"{measured['analyze_stack_s']:.3f} s")
    for name in ("analyze.prof", "analyze_stack.prof"):
        print(summarize_profile(out / name))
    print(f"details: python -c \"import pstats; pstats.Stats('{out}/analyze.prof').sort_stats('cumulative')"
          ".print_stats(30)\"")
    return 0


# --- main -------------------------------------------------------------------------------------------------------


SNAPSHOT_FILES: Final = ("PulumiPolicy.yaml", "__main__.py", "requirements.txt", "policypack")


def snapshot(target: Path) -> Path:
    """A copy of the pack's own files: the same code, started the same way, from another directory."""
    for name in SNAPSHOT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            shutil.copy2(source, target / name)
    return target


def build_packs(pack_dir: Path = ROOT) -> dict[str, driver.Pack]:
    return {
        "pack": driver.pack("pack", "aws-lambda-guardrails", pack_dir),
        "baseline": driver.pack("baseline", "empty baseline", BASELINE_DIR),
    }


def _shown(directory: Path) -> str:
    if directory.is_relative_to(ROOT):
        return str(directory.relative_to(ROOT))
    return f"{directory} (snapshot of .)"


def sdk_floor(resource_policies: int, stack_policies: int) -> driver.Pack:
    """The baseline pack with as many do-nothing policies of each kind as this pack has."""
    return driver.pack("sdk_floor", "SDK floor", BASELINE_DIR, {
        "BENCH_BASELINE_RESOURCE_POLICIES": str(resource_policies),
        "BENCH_BASELINE_STACK_POLICIES": str(stack_policies)})


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-pack-") as temporary:
        pack_dir = snapshot(Path(temporary)) if args.snapshot else ROOT
        return _main(args, argv, build_packs(pack_dir))


def _main(args: argparse.Namespace, argv: Sequence[str], packs: dict[str, driver.Pack]) -> int:
    if args.profile:
        return run_profile(args, packs["pack"])
    started = datetime.datetime.now(datetime.UTC)
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "command": shlex.join(["python", "bench/run.py", *argv]),
        "started": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "git": git_state(),
        "settings": {"sizes": args.sizes, "runs": args.runs, "startup_runs": args.startup_runs,
                     "check_runs": args.check_runs, "seed": args.seed, "quick": args.quick,
                     "resources_per_service": RESOURCES_PER_SERVICE,
                     "bytecode": "packs and the offline check run with PYTHONPYCACHEPREFIX="
                                 f"{driver.PYCACHE_PREFIX.relative_to(ROOT)} and without PYTHONDONTWRITEBYTECODE; "
                                 "one unmeasured start of each pack (and check run) fills the cache first"},
        "packs": {key: {"directory": _shown(p.spec.directory), "label": p.label} for key, p in packs.items()},
    }
    result["startup"] = run_startup(packs, args.startup_runs)
    for key in ("pack", "baseline"):
        first = result["startup"][key]["runs"][0]
        result["packs"][key].update(policies=first["resource_policies"] + first["stack_policies"],
                                    resource_policies=first["resource_policies"],
                                    stack_policies=first["stack_policies"])
    if not args.no_floor:
        packs["sdk_floor"] = sdk_floor(result["packs"]["pack"]["resource_policies"],
                                       result["packs"]["pack"]["stack_policies"])
        result["packs"]["sdk_floor"] = {"directory": result["packs"]["baseline"]["directory"],
                                        "label": packs["sdk_floor"].label,
                                        **{k: result["packs"]["pack"][k] for k in ("resource_policies",
                                                                                   "stack_policies")}}
    result["stacks"] = run_stacks(packs, args.sizes, args.runs, args.seed)
    result["growth"] = growth(result["stacks"], args.sizes)
    result["targets"] = targets(result["startup"], result["stacks"], args.sizes)
    result["offline_check"] = run_offline_check(args.check_runs)
    result["seed_checks"] = run_seed_checks(args.check_runs)
    if "ratio" in result["seed_checks"]:
        ratio = result["seed_checks"]["ratio"]
        result["targets"].append({"name": "offline check of the seed (TypeScript / Python)", "value": ratio,
                                  "limit": SEED_TS_LIMIT, "met": ratio is not None and ratio <= SEED_TS_LIMIT})
    result["machine"]["loadavg_at_end"] = _loadavg()
    result["finished"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    text = render_text(result)
    sys.stdout.write(text)
    sys.stdout.write(f"\nJSON: {args.output}\n")
    if args.markdown:
        args.markdown.write_text(render_markdown(result), encoding="utf-8")
        sys.stdout.write(f"Markdown: {args.markdown}\n")
    return 0
