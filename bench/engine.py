"""`python bench/engine.py [--runs 5] [--size 1000] [--write]`: the pack under the real Pulumi CLI.

Times `scripts/pulumi policy analyze --file STATE` (the engine judging a stack's state, end to end: CLI start, pack
start through the launcher, GetAnalyzerInfo, Configure, Remediate and Analyze per resource, AnalyzeStack) with this
pack and with the empty baseline pack, alternating run by run, on the reference stack's state and on a generated
Lambda stack. `pulumi preview` cannot be timed here: it needs a language host that cannot be built (README, "The real
engine"). `--write` puts the table into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.stack import Resource, generate  # noqa: E402

PULUMI = ROOT / "scripts" / "pulumi"
LAUNCHER = ROOT / ".tools" / "bin" / "pulumi-policy-pack"
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Under the real engine"


def _pack(directory: Path, files: Sequence[Path]) -> Path:
    """A pack directory the CLI can start through the launcher, sharing this repository's `.venv`."""
    directory.mkdir(parents=True)
    for source in files:
        target = directory / source.name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    (directory / ".venv").symlink_to(ROOT / ".venv")
    (directory / LAUNCHER.name).symlink_to(LAUNCHER)
    return directory / LAUNCHER.name


def _state_resource(resource: Resource) -> dict[str, Any]:
    state: dict[str, Any] = {
        "urn": resource.urn,
        "custom": resource.custom,
        "type": resource.type,
        "inputs": resource.inputs,
        "outputs": resource.outputs,
    }
    if resource.custom:
        state["id"] = f"id-{abs(hash(resource.urn)) % 10**12}"
    if resource.parent:
        state["parent"] = resource.parent
    if resource.dependencies:
        state["dependencies"] = list(resource.dependencies)
    if resource.property_dependencies:
        state["propertyDependencies"] = {k: list(v) for k, v in resource.property_dependencies.items()}
    return state


def generated_state(size: int) -> dict[str, Any]:
    resources = [_state_resource(r) for r in generate(size).resources]
    ids = {r["urn"]: r.get("id", "") for r in resources}
    provider = next(r["urn"] for r in resources if r["type"].startswith("pulumi:providers:"))
    for resource in resources:
        if resource["custom"] and not resource["type"].startswith("pulumi:providers:"):
            resource["provider"] = f"{provider}::{ids[provider]}"
    return {"version": 3, "deployment": {"manifest": {"time": "2026-01-01T00:00:00Z", "magic": "", "version": ""},
                                         "resources": resources}}


def reference_state() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "tests" / "engine"))
    from engine_support import capture, deployment

    return deployment(capture(ROOT / "reference_stack", "dev", preview=False))


def _time(pack: Path, state: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(PULUMI), "policy", "analyze", "--file", str(state), "--policy-pack", str(pack), "--non-interactive"],
        cwd=state.parent, capture_output=True, check=False, stdin=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def measure(packs: dict[str, Path], state: Path, runs: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in packs}
    for pack in packs.values():
        _time(pack, state)  # warm-up
    for _ in range(runs):
        for name, pack in packs.items():
            times[name].append(_time(pack, state))
    return {name: statistics.median(values) for name, values in times.items()}


def table(rows: dict[str, dict[str, float]], runs: int) -> str:
    lines = [
        f"`pulumi policy analyze --file`, Pulumi v3.274.1, median wall seconds of {runs} alternating runs:",
        "",
        "| state | this pack | empty pack | added by this pack |",
        "|---|---|---|---|",
    ]
    for label, found in rows.items():
        added = (found["pack"] - found["empty"]) / found["empty"]
        lines.append(f"| {label} | {found['pack']:.2f} s | {found['empty']:.2f} s | {added:+.0%} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--write", action="store_true", help="put the table into bench/RESULTS.md")
    args = parser.parse_args(argv)
    subprocess.run([str(PULUMI), "version"], check=True, capture_output=True)
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        directory = Path(tmp)
        packs = {
            "pack": _pack(directory / "pack", [ROOT / n for n in ("PulumiPolicy.yaml", "__main__.py", "policypack")]),
            "empty": _pack(directory / "empty", sorted((ROOT / "bench" / "baseline_pack").iterdir())),
        }
        states = {"reference stack": reference_state(), f"generated, {args.size} resources": generated_state(args.size)}
        rows = {}
        for label, state in states.items():
            path = directory / f"{len(rows)}.json"
            path.write_text(json.dumps(state))
            rows[label] = measure(packs, path, args.runs)
    text = table(rows, args.runs)
    print(text)
    if args.write:
        current = RESULTS.read_text()
        kept = current.split(SECTION)[0].rstrip()
        RESULTS.write_text(f"{kept}\n\n{SECTION}\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
