"""`python bench/regex.py [--runs N] [--markdown FILE]`: what a hostile config regex costs one `Analyze`.

Issue 16's target: no config regex makes one Analyze take more than 10 ms longer on a 1,000-character name. The
pack is started once per config (as the offline check starts it) and sent, `--runs` times each, the Analyze of a
Function, a Role with an inline policy and a Queue whose logical names, physical names, ARNs and environment
suffix are 999 `a` and a `!` (the worst case for the patterns below: each fails only at the end). Each hostile
pattern is put at once in every regex key: suffixPattern, productionStackPattern, allowedResourcePatterns and an
exemption on every policy.
The figure is the median Analyze latency with that config minus the one with the default config.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pulumi.runtime.proto import analyzer_pb2 as apb  # noqa: E402

from bench import driver  # noqa: E402
from bench.stack import PROJECT, STACK, STACK_CONFIG  # noqa: E402
from lambda_guardrails.offline import config as pconfig  # noqa: E402
from lambda_guardrails.offline import requests as requests_  # noqa: E402
from lambda_guardrails.offline.engine import open_session  # noqa: E402
from lambda_guardrails.offline.pack_process import PackProcess  # noqa: E402

LIMIT_MS: Final = 10.0
LONG: Final = "a" * 999 + "!"  # matches none of HOSTILE, after the longest try
HOSTILE: Final = ("(a+)+$", "(a|aa)+$", "(a|a?)+b", "(.*a){20}$", "^(a?){30}a{30}$", "(?:a*)*b", "(\\w+\\s?)+$")
ARN: Final = f"arn:aws:dynamodb:us-east-1:123456789012:table/{LONG}"


def requests() -> list[apb.AnalyzeRequest]:
    urn = f"urn:pulumi:{STACK}::{PROJECT}::"
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": ARN}]})
    resources: list[tuple[str, dict[str, Any]]] = [
        ("aws:lambda/function:Function", {"name": LONG, "role": ARN, "runtime": "python3.12",
                                          "environment": {"variables": {"TABLE": LONG}}, "tags": {"Team": LONG}}),
        ("aws:iam/role:Role", {"name": LONG, "assumeRolePolicy": "{}", "inlinePolicies": [
            {"name": LONG, "policy": document}]}),
        ("aws:sqs/queue:Queue", {"name": LONG, "tags": {"Environment": "development"}}),
    ]
    return [apb.AnalyzeRequest(type=kind, properties=requests_.struct(props), urn=f"{urn}{kind}::{LONG}", name=LONG)
            for kind, props in resources]


def hostile_config(pattern: str, policies: Sequence[str]) -> dict[str, Any]:
    config: dict[str, Any] = {name: {"exemptions": [{"resource": pattern, "reason": "benchmark"}]}
                              for name in policies}
    config["aws-resource-name-restrict-suffix-format"]["suffixPattern"] = pattern
    config["aws-environment-tag-match-stack"]["productionStackPattern"] = pattern
    config["iam-policy-disallow-wildcard-resources"]["allowedResourcePatterns"] = [pattern]
    return config


def measure(target: driver.Pack, config: Mapping[str, Any], runs: int) -> tuple[float, int]:
    """The median Analyze latency in ms over `runs` rounds of the requests, after one unmeasured round, and the
    diagnostics of one round (the config took effect)."""
    process = PackProcess(target.spec, target.context)
    process.start()
    try:
        session = open_session(process, target.context, pconfig.parse(dict(config), "bench/regex.py"), "")
        try:
            latencies, diagnostics = [], 0
            for round_ in range(runs + 1):
                for request in requests():
                    begin = time.perf_counter()
                    response = session.call("Analyze", session.stub.Analyze, request)
                    if round_:
                        latencies.append((time.perf_counter() - begin) * 1000)
                    else:
                        diagnostics += len(response.diagnostics)
        finally:
            session.close()
    finally:
        process.stop()
    return statistics.median(latencies), diagnostics


def run(runs: int) -> dict[str, Any]:
    target = driver.pack("pack", "aws-lambda-guardrails", ROOT)
    target = driver.Pack(target.key, target.label, target.spec, driver.BenchContext(
        PROJECT, STACK, "organization", True, {**STACK_CONFIG, f"{PROJECT}:environmentSuffix": LONG}, (),
        {"pulumi:project": PROJECT, "pulumi:runtime": "python"}, {}))
    from policypack.registry import POLICIES

    names = [policy.name for policy in POLICIES]
    baseline, found = measure(target, {}, runs)
    deltas, diagnostics = {}, {"default": found}
    for pattern in HOSTILE:
        latency, diagnostics[pattern] = measure(target, hostile_config(pattern, names), runs)
        deltas[pattern] = latency - baseline
        print(f"[regex] {pattern}: {deltas[pattern]:+.3f} ms, {diagnostics[pattern]} diagnostics", file=sys.stderr,
              flush=True)
    worst = max(deltas.values())
    return {"runs": runs, "baseline_ms": baseline, "delta_ms": deltas, "diagnostics": diagnostics,
            "worst_delta_ms": worst, "limit_ms": LIMIT_MS, "met": worst <= LIMIT_MS}


def render(result: Mapping[str, Any]) -> str:
    lines = [f"Analyze with hostile config regexes, 1,000-character names (median of {result['runs']} rounds of 3 "
             f"requests): default config {result['baseline_ms']:.3f} ms, "
             f"{result['diagnostics']['default']} diagnostics", "",
             "| pattern in every regex key | Analyze, ms longer than with the default config | diagnostics |",
             "|---|---|---|"]
    lines += [f"| `{pattern.replace('|', chr(92) + '|')}` | {delta:+.3f} | {result['diagnostics'][pattern]} |"
              for pattern, delta in result["delta_ms"].items()]
    lines += ["", f"Worst: {result['worst_delta_ms']:+.3f} ms; target at most +{result['limit_ms']:.0f} ms: "
              f"{'met' if result['met'] else 'NOT met'}."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python bench/regex.py", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="measured rounds per config (default 30)")
    parser.add_argument("--markdown", type=Path, help="append the table to this file (e.g. bench/RESULTS.md)")
    args = parser.parse_args(argv)
    text = render(run(args.runs))
    sys.stdout.write(text)
    if args.markdown:
        with args.markdown.open("a", encoding="utf-8") as out:
            out.write(f"\n## Hostile config regexes\n\nFrom `python bench/regex.py --runs {args.runs}` "
                      f"({datetime.date.today().isoformat()}, loadavg {os.getloadavg()[0]:.2f}):\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
