"""`python bench/scale.py [--sizes 1000,5000] [--runs N]`: the offline check on a generated program of N resources
against the same program under plain Pulumi mocks (a do-nothing `new_resource`), in one run, alternating the two.

Wall time and peak memory (the largest process's max RSS) of each, as the median of the runs, and their ratios;
target at most 1.5x for both. The check runs in `--mode update` with this repository's pack.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
TARGET: Final = 1.5
# Five resources per service, shaped like a small Lambda application.
SERVICE: Final = '''
role{i} = aws.iam.Role("role-{i}", assume_role_policy=TRUST, tags=TAGS)
aws.iam.RolePolicy("logs-{i}", role=role{i}.id, policy=pulumi.Output.json_dumps({{"Version": "2012-10-17",
    "Statement": [{{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": group{i}.arn}}]}}))
fn{i} = aws.lambda_.Function("fn-{i}", runtime="python3.12", handler="index.handler", role=role{i}.arn,
    code=pulumi.FileArchive("."), architectures=["arm64"], tags=TAGS,
    logging_config={{"log_format": "JSON", "log_group": group{i}.name}})
aws.lambda_.Alias("live-{i}", function_name=fn{i}.name, function_version=fn{i}.version)
'''
PROLOGUE: Final = '''import json

import pulumi
import pulumi_aws as aws

TAGS = {"Environment": "dev", "Team": "bench", "CostCenter": "1"}
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
    "Principal": {"Service": "lambda.amazonaws.com"}}]})
'''
# The program, then every registration it started, as `@pulumi.runtime.test` would await them.
MOCKS: Final = '''import asyncio, runpy, sys
import pulumi
from pulumi.runtime.stack import wait_for_rpcs

class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return args.name + "_id", args.inputs
    def call(self, args):
        return {}

pulumi.runtime.set_mocks(Mocks(), project="bench-scale", stack="dev", preview=False)
runpy.run_path(sys.argv[1], run_name="__main__")
asyncio.get_event_loop().run_until_complete(wait_for_rpcs())
'''


def write_program(directory: Path, resources: int) -> None:
    services = max(1, resources // 5)
    body = "".join(
        f'group{i} = aws.cloudwatch.LogGroup("logs-{i}", retention_in_days=14, tags=TAGS)\n' + SERVICE.format(i=i)
        for i in range(services)
    )
    (directory / "__main__.py").write_text(PROLOGUE + body)
    (directory / "Pulumi.yaml").write_text("name: bench-scale\nruntime: python\n")
    (directory / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (directory / "mocks_main.py").write_text(MOCKS)


def measure(command: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MiB (the largest process of the tree) and the exit code."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    _, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def run_size(resources: int, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        directory = Path(tmp)
        write_program(directory, resources)
        check = [sys.executable, "-m", "policypack", "check", str(directory), "--mode", "update"]
        mocks = [sys.executable, str(directory / "mocks_main.py"), str(directory / "__main__.py")]
        samples: dict[str, list[tuple[float, float, int]]] = {"check": [], "mocks": []}
        for _ in range(runs):
            samples["mocks"].append(measure(mocks, directory))
            samples["check"].append(measure(check, directory))
    result: dict[str, Any] = {"resources": resources}
    for name, values in samples.items():
        result[name] = {"wall_s": statistics.median(v[0] for v in values),
                        "peak_mib": statistics.median(v[1] for v in values), "exit": [v[2] for v in values]}
    result["wall_ratio"] = result["check"]["wall_s"] / result["mocks"]["wall_s"]
    result["memory_ratio"] = result["check"]["peak_mib"] / result["mocks"]["peak_mib"]
    result["met"] = result["wall_ratio"] <= TARGET and result["memory_ratio"] <= TARGET
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python bench/scale.py")
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    for size in (int(s) for s in args.sizes.split(",")):
        result = run_size(size, args.runs)
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
