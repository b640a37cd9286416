"""The empty baseline of bench/run.py: policies that do nothing, started exactly as the CLI starts a pack.

One resource policy and one stack policy by default. The benchmark's "SDK floor" variant starts this same pack
with BENCH_BASELINE_RESOURCE_POLICIES / BENCH_BASELINE_STACK_POLICIES set to the measured pack's counts, so that
it pays exactly the SDK's per-policy cost (deserializing props once per policy) and nothing else.
"""

import os

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)


def allow_resource(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    return None


def allow_stack(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    return None


def count(variable: str) -> int:
    return max(int(os.environ.get(variable) or "1"), 0)


policies: list[Policy] = [
    ResourceValidationPolicy(
        name=f"baseline-resource-{index}",
        description="Does nothing.",
        validate=allow_resource,
        enforcement_level=EnforcementLevel.MANDATORY,
    )
    for index in range(count("BENCH_BASELINE_RESOURCE_POLICIES"))
]
policies += [
    StackValidationPolicy(
        name=f"baseline-stack-{index}",
        description="Does nothing.",
        validate=allow_stack,
        enforcement_level=EnforcementLevel.MANDATORY,
    )
    for index in range(count("BENCH_BASELINE_STACK_POLICIES"))
]

PolicyPack(name="bench-baseline", policies=policies, description="Empty baseline for bench/run.py")
