"""`python bench/engine.py [--runs 5] [--size 1000] [--write]`: the pack under the real Pulumi CLI.

Times, alternating run by run, medians of `--runs`:
- `scripts/pulumi preview` of a Pulumi YAML program (the engine tier's twin of `basic`, and a generated Lambda
  program of `--size` resources) with no pack, with this pack and with the empty baseline pack, through the
  stand-in aws provider (its cost is in every column);
- `scripts/pulumi policy analyze --file STATE` (CLI start, pack start through the launcher, GetAnalyzerInfo,
  Configure, Remediate and Analyze per resource, AnalyzeStack) with this pack and with the empty pack, on the
  reference stack's state and on a generated stack.
AwsGuard (`@pulumi/awsguard`) is not measured: a Node.js pack needs the Node.js language host, which cannot be built
here (README, "The real engine"). `--write` puts the tables into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
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


def generated_program(directory: Path, size: int) -> Path:
    """A Pulumi YAML program of `size` resources (and the stack): per service a role, a published function, its
    alias and its log group."""
    resources: dict[str, Any] = {}
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    for index in range(max(size // 4, 1)):
        resources[f"role-{index}"] = {"type": "aws:iam/role:Role",
                                      "properties": {"assumeRolePolicy": json.dumps(trust)}}
        resources[f"fn-{index}"] = {"type": "aws:lambda/function:Function", "properties": {
            "role": f"${{role-{index}.arn}}", "runtime": "python3.12", "handler": "index.handler", "publish": True,
            "code": {"fn::fileArchive": "./app"}, "tags": {"Environment": "dev", "Team": "bench"}}}
        resources[f"live-{index}"] = {"type": "aws:lambda/alias:Alias", "properties": {
            "functionName": f"${{fn-{index}.name}}", "functionVersion": f"${{fn-{index}.version}}"}}
        resources[f"logs-{index}"] = {"type": "aws:cloudwatch/logGroup:LogGroup", "properties": {
            "name": f"/aws/lambda/${{fn-{index}.name}}", "retentionInDays": 14}}
    directory.mkdir(parents=True)
    (directory / "app").mkdir()
    (directory / "app" / "index.py").write_text("def handler(event, context):\n    return 1\n")
    program = {"name": "bench-engine", "runtime": "yaml", "resources": resources}
    (directory / "Pulumi.yaml").write_text(json.dumps(program, indent=1))
    return directory


def _stack(program: Path, env: dict[str, str]) -> None:
    subprocess.run([str(PULUMI), "stack", "select", "--create", "dev", "--non-interactive"], cwd=program, env=env,
                   check=True, capture_output=True)
    if (program / "Pulumi.yaml").read_text().count("apiToken"):
        subprocess.run([str(PULUMI), "config", "set", "--secret", "apiToken", "x"], cwd=program, env=env,
                       check=True, capture_output=True)


def _time(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False, stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(commands: dict[str, list[str]], cwd: Path, runs: int, env: dict[str, str] | None = None
            ) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():
        _time(command, cwd, env)  # warm-up
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(_time(command, cwd, env))
    return {name: statistics.median(values) for name, values in times.items()}


def table(title: str, rows: dict[str, dict[str, float]], columns: dict[str, str], base: str) -> str:
    lines = [title, "", "| program | " + " | ".join(columns.values()) + " | added by this pack |",
             "|---|" + "---|" * (len(columns) + 1)]
    for label, found in rows.items():
        added = (found["pack"] - found[base]) / found[base]
        cells = " | ".join(f"{found[key]:.2f} s" for key in columns)
        lines.append(f"| {label} | {cells} | {added:+.0%} |")
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
        env = {**os.environ, "LAMBDA_GUARDRAILS_STATE": str(directory / "state")}
        programs = {
            "`basic` (YAML twin)": directory / "basic",
            f"generated, {args.size} resources": generated_program(directory / "generated", args.size),
        }
        shutil.copytree(ROOT / "tests" / "engine" / "programs" / "basic", programs["`basic` (YAML twin)"])
        previews: dict[str, dict[str, float]] = {}
        for label, program in programs.items():
            _stack(program, env)
            preview = [str(PULUMI), "preview", "--non-interactive", "--stack", "dev"]
            commands = {"none": preview, **{k: [*preview, "--policy-pack", str(p)] for k, p in packs.items()}}
            previews[label] = measure(commands, program, args.runs, env)
        states = {"reference stack": reference_state(), f"generated, {args.size} resources": generated_state(args.size)}
        analyses: dict[str, dict[str, float]] = {}
        for label, state in states.items():
            path = directory / f"{len(analyses)}.json"
            path.write_text(json.dumps(state))
            analyze = [str(PULUMI), "policy", "analyze", "--file", str(path), "--non-interactive", "--policy-pack"]
            analyses[label] = measure({k: [*analyze, str(p)] for k, p in packs.items()}, directory, args.runs)
    text = table(
        f"`pulumi preview`, Pulumi v3.274.1 and Pulumi YAML v1.25.0, median wall seconds of {args.runs} alternating "
        "runs:", previews, {"none": "no pack", "pack": "this pack", "empty": "empty pack"}, "none",
    ) + "\n" + table(
        f"`pulumi policy analyze --file`, median wall seconds of {args.runs} alternating runs:",
        analyses, {"pack": "this pack", "empty": "empty pack"}, "empty",
    )
    print(text)
    if args.write:
        current = RESULTS.read_text()
        kept = current.split(SECTION)[0].rstrip()
        RESULTS.write_text(f"{kept}\n\n{SECTION}\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
