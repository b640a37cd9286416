"""Stack policies on adversarial stacks: cycles, dangling URNs, thousands of aliases, duplicate names.

Growth is measured by counting function calls (deterministic), not by timing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from harness import UNKNOWN, run_stack

from policypack import aws


def function(name: str, **props: Any) -> dict[str, Any]:
    tags = {"Environment": "development", "Team": "t", "CostCenter": "c"}
    return {"type": aws.FUNCTION, "name": name, "props": {"name": f"{name}-dev", "tags": tags, **props}}


def busy_function_stack(aliases: int) -> list[dict[str, Any]]:
    """One function with many aliases and provisioned configs, half linked by dependency, half by literal name."""
    resources = [function("fn", publish=True, reservedConcurrentExecutions=50)]
    for i in range(aliases):
        by_dependency = i % 2 == 0
        resources.append({"type": aws.ALIAS, "name": f"a{i}", "props": {
            "name": "live", "functionName": UNKNOWN if by_dependency else "fn-dev",
            "functionVersion": UNKNOWN}, "propertyDependencies": {"functionName": ["fn"], "functionVersion": ["fn"]}
            if by_dependency else {}})
        resources.append({"type": aws.PROVISIONED_CONCURRENCY, "name": f"pc{i}", "props": {
            "functionName": "fn-dev", "qualifier": "live" if i % 3 else UNKNOWN,
            "provisionedConcurrentExecutions": 0.0},
            "propertyDependencies": {"qualifier": [f"a{i}"]}})
    return resources


def calls(action: Callable[[], Any]) -> int:
    count = 0

    def profile(_frame: Any, event: str, _arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return count


def test_thousands_of_aliases_cost_linear_work() -> None:
    small = calls(lambda: run_stack(busy_function_stack(250), per_resource=False))
    large = calls(lambda: run_stack(busy_function_stack(1000), per_resource=False))
    assert large < 4.6 * small, (small, large)


def test_thousands_of_aliases_are_judged() -> None:
    outcome = run_stack(busy_function_stack(1000), per_resource=False)
    assert outcome.of("lambda-provisioned-concurrency-require-published-version") == []
    assert not any("could not evaluate" in d.message for d in outcome.diagnostics)


def test_cycles_and_dangling_urns_never_raise() -> None:
    resources = [
        {"type": "guardrails:x:Component", "name": "comp", "props": {}, "parent": "urn:pulumi:dev::x::gone"},
        {"type": "guardrails:x:Component", "name": "comp-child", "props": {}, "parent": "comp"},
        function("fn", publish=False, reservedConcurrentExecutions=10),
        {"type": aws.ALIAS, "name": "live",
         "props": {"name": "live", "functionName": UNKNOWN, "functionVersion": UNKNOWN},
         "propertyDependencies": {"functionName": ["live", "fn"],
                                  "functionVersion": ["pc", "urn:pulumi:dev::x::gone"]}},
        {"type": aws.PROVISIONED_CONCURRENCY, "name": "pc", "props": {"functionName": UNKNOWN, "qualifier": UNKNOWN,
         "provisionedConcurrentExecutions": 5}, "dependencies": ["pc", "nowhere"],
         "propertyDependencies": {"qualifier": ["pc", "live", "comp", "fn"], "functionName": ["fn", "gone"]}},
    ]
    outcome = run_stack(resources, per_resource=False)
    assert not any("could not evaluate" in d.message for d in outcome.diagnostics)
    assert [(d.resource, d.level) for d in outcome.of("lambda-provisioned-concurrency-require-published-version")] \
        == [("pc", "mandatory")]


def test_duplicate_physical_names_are_all_judged() -> None:
    resources = [function(f"fn{i}", reservedConcurrentExecutions=1) for i in range(3)]
    for resource in resources:
        resource["props"]["name"] = "same-dev"
    resources += [
        {"type": aws.PROVISIONED_CONCURRENCY, "name": "pc", "props": {"functionName": "same-dev", "qualifier": "7",
         "provisionedConcurrentExecutions": 2}},
    ]
    outcome = run_stack(resources, per_resource=False)
    found = sorted(d.resource for d in outcome.of("lambda-provisioned-concurrency-restrict-to-reserved"))
    assert found == ["fn0", "fn1", "fn2"]
