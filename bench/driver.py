"""Starts packs and plays the engine's part, timing each step.

Starting a pack (command, cwd, PULUMI_* variables, the port line, drained output) and the engine's configuration
sequence (Handshake, ConfigureStack, GetAnalyzerInfo, then Configure with every policy at its level and schema
defaults) are the offline check's own `PackProcess` (lambda_guardrails/offline/pack_process.py) and `PackSession`
(lambda_guardrails/offline/engine.py), and the requests come from its builder (lambda_guardrails/offline/requests.py);
this module adds only the timing, building the requests once per stack, and reading the pack's memory.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2 as apb

from lambda_guardrails.offline import requests
from lambda_guardrails.offline.engine import LEVEL_NAMES, PackSession, open_session
from lambda_guardrails.offline.pack_process import PackProcess, RunContext
from lambda_guardrails.offline.project import PackSpec, load_pack

from .stack import PROJECT, STACK, STACK_CONFIG, Stack

BENCH_DIR: Final = Path(__file__).resolve().parent
PROFILER: Final = BENCH_DIR / "profiled_pack.py"
# Bytecode caches as a user's machine has them after the first preview, kept out of the work tree: this
# environment may set PYTHONDONTWRITEBYTECODE, which would make every start compile the pack from source.
PYCACHE_PREFIX: Final = BENCH_DIR / "results" / "pycache"


@dataclass(frozen=True)
class BenchContext(RunContext):
    """The offline check's run context plus variables for the benchmark's own packs (the SDK-floor variant)."""

    extra_env: Mapping[str, str] = field(default_factory=dict)

    def pack_env(self, runtime: str) -> dict[str, str]:
        env = super().pack_env(runtime)
        env.update(bytecode_env())
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(self.extra_env)
        return env


def bytecode_env() -> dict[str, str]:
    return {"PYTHONPYCACHEPREFIX": str(PYCACHE_PREFIX)}


def subprocess_env() -> dict[str, str]:
    """This process's environment with the benchmark's bytecode caching, for the offline check's command."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(bytecode_env())
    return env


@dataclass(frozen=True)
class ProfiledSpec(PackSpec):
    """A pack started through bench/profiled_pack.py, which profiles its RPC handlers and writes .prof files."""

    profile_dir: str = ""

    def command(self, engine_address: str) -> list[str]:
        command = super().command(engine_address)
        return [command[0], "-u", str(PROFILER), self.profile_dir, *command[4:]]


@dataclass(frozen=True)
class Pack:
    key: str  # "pack", "baseline" or "sdk_floor"
    label: str
    spec: PackSpec
    context: RunContext


def context(extra_env: Mapping[str, str] | None = None) -> BenchContext:
    tags = {"pulumi:project": PROJECT, "pulumi:runtime": "python"}
    return BenchContext(PROJECT, STACK, "organization", True, dict(STACK_CONFIG), (), tags, dict(extra_env or {}))


def pack(key: str, label: str, directory: Path, extra_env: Mapping[str, str] | None = None) -> Pack:
    return Pack(key, label, load_pack(directory), context(extra_env))


def profiled(target: Pack, profile_dir: Path) -> Pack:
    spec = ProfiledSpec(**{f.name: getattr(target.spec, f.name) for f in dataclasses.fields(target.spec)},
                        profile_dir=str(profile_dir))
    return dataclasses.replace(target, spec=spec)


# --- requests, built once per stack and sent to every pack ----------------------------------------------------


def analyze_requests(stack: Stack) -> list[apb.AnalyzeRequest]:
    """One Analyze per resource with its inputs, as the engine sends them during preview."""
    by_urn = stack.by_urn()
    return [requests.analyze_request(r, by_urn) for r in stack.resources]


def analyze_stack_request(stack: Stack) -> apb.AnalyzeStackRequest:
    """Every resource's outputs with parent, dependencies and property dependencies."""
    return requests.analyze_stack_request(stack.resources)


# --- measurements ---------------------------------------------------------------------------------------------


def proc_status_kib(pid: int | None, key: str) -> int | None:
    """A `kB` line of /proc/<pid>/status (VmHWM: peak resident memory), or None where there is no /proc."""
    if pid is None:
        return None
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return None


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process so far (/proc/<pid>/stat), or None where there is no /proc."""
    if pid is None:
        return None
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _delta(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def measure_startup(target: Pack) -> dict[str, Any]:
    """Spawn to the port line, and spawn to GetAnalyzerInfo answered (the first RPC, on a fresh channel)."""
    process = PackProcess(target.spec, target.context)
    started = time.perf_counter()
    process.start()
    try:
        port = process.port()
        to_port = time.perf_counter() - started
        session = PackSession(process, port)
        try:
            info = session.call("GetAnalyzerInfo", session.stub.GetAnalyzerInfo, empty_pb2.Empty())
            to_info = time.perf_counter() - started
            rss = proc_status_kib(process.pid, "VmRSS")
        finally:
            session.close()
    finally:
        process.stop()
    stack_policies = sum(1 for p in info.policies if p.policy_type == apb.POLICY_TYPE_STACK)
    return {"spawn_to_port_s": to_port, "spawn_to_info_s": to_info, "rss_after_info_kib": rss,
            "resource_policies": len(info.policies) - stack_policies, "stack_policies": stack_policies}


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(q * len(ordered) - 1e-9)))
    return ordered[rank - 1]


def measure_stack(target: Pack, requests: Sequence[apb.AnalyzeRequest],
                  stack_request: apb.AnalyzeStackRequest) -> dict[str, Any]:
    """Configure, then one Analyze per resource (timed each), then one AnalyzeStack; peak memory at the end."""
    process = PackProcess(target.spec, target.context)
    process.start()
    try:
        session = open_session(process, target.context, {}, "")
        try:
            levels = Counter(c.level for c in session.config.values())
            latencies: list[float] = []
            resource_diagnostics: Counter[str] = Counter()
            by_policy: Counter[str] = Counter()
            not_applicable = 0
            analyze, clock = session.stub.Analyze, time.perf_counter
            cpu_before_analyze = cpu_seconds(process.pid)
            for request in requests:
                begin = clock()
                response = session.call("Analyze", analyze, request)
                latencies.append(clock() - begin)
                for diagnostic in response.diagnostics:
                    resource_diagnostics[LEVEL_NAMES.get(diagnostic.enforcementLevel, "?")] += 1
                    by_policy[diagnostic.policyName] += 1
                not_applicable += len(response.not_applicable)
            cpu_before_stack = cpu_seconds(process.pid)
            begin = clock()
            stack_response = session.call("AnalyzeStack", session.stub.AnalyzeStack, stack_request)
            stack_seconds = clock() - begin
            cpu_after_stack = cpu_seconds(process.pid)
            stack_diagnostics = Counter(LEVEL_NAMES.get(d.enforcementLevel, "?") for d in stack_response.diagnostics)
            by_policy.update(d.policyName for d in stack_response.diagnostics)
            hwm = proc_status_kib(process.pid, "VmHWM")
        finally:
            session.close()
    finally:
        process.stop()
    return {
        "analyze_p50_ms": percentile(latencies, 0.50) * 1000,
        "analyze_p99_ms": percentile(latencies, 0.99) * 1000,
        "analyze_mean_ms": sum(latencies) / len(latencies) * 1000,
        "analyze_total_s": sum(latencies),
        "analyze_stack_s": stack_seconds,
        "analyze_cpu_s": _delta(cpu_before_analyze, cpu_before_stack),
        "analyze_stack_cpu_s": _delta(cpu_before_stack, cpu_after_stack),
        "vmhwm_kib": hwm,
        "configured_levels": dict(sorted(levels.items())),
        "diagnostics": {
            "analyze": dict(sorted(resource_diagnostics.items())),
            "analyze_stack": dict(sorted(stack_diagnostics.items())),
            "not_applicable": not_applicable + len(stack_response.not_applicable),
            "by_policy": dict(sorted(by_policy.items())),
        },
    }


def python_version() -> str:
    return sys.version.split()[0]
