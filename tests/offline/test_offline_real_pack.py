"""REAL PACK: the repository's own pack (PulumiPolicy.yaml at the root) run by the offline check.

These tests start the real pack process and run the real programs (`reference_stack/`, the seed example), so a
failure here is a finding about a policy or a program, not about the offline check: report the diagnostic.
"""

from __future__ import annotations

import pytest
from offline_support import REPO

from lambda_guardrails.offline.report import Report, Violation
from lambda_guardrails.testing import check_program

REFERENCE = REPO / "reference_stack"

pytestmark = pytest.mark.skipif(
    not (REPO / "PulumiPolicy.yaml").is_file() or not (REPO / "__main__.py").is_file(),
    reason="the repository's pack is not there yet",
)


def describe(violation: Violation) -> str:
    return f"[{violation.enforcement_level}] {violation.policy} on {violation.urn}: {violation.message}"


@pytest.fixture(scope="module")
def reference_reports() -> dict[tuple[str, str], Report]:
    reports = {}
    for stack in ("dev", "prod"):
        if not (REFERENCE / f"Pulumi.{stack}.yaml").is_file():
            continue
        for mode in ("preview", "update"):
            reports[(stack, mode)] = check_program(REFERENCE, stack=stack, mode=mode)
    return reports


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_reference_stack_has_no_violation(
    reference_reports: dict[tuple[str, str], Report], stack: str, mode: str
) -> None:
    if (stack, mode) not in reference_reports:
        pytest.skip(f"reference_stack/Pulumi.{stack}.yaml is not there yet")
    report = reference_reports[(stack, mode)]
    assert [describe(v) for v in report.violations] == []
    assert report.exit_code == 0


def test_the_check_learns_every_registered_policy_through_the_protocol(
    reference_reports: dict[tuple[str, str], Report],
) -> None:
    from policypack.registry import PACK_NAME, PACK_VERSION, POLICIES

    if not reference_reports:
        pytest.skip("reference_stack is not there yet")
    (pack,) = next(iter(reference_reports.values())).packs
    assert (pack.name, pack.version) == (PACK_NAME, PACK_VERSION)
    assert [p.name for p in pack.policies] == [p.meta.name for p in POLICIES]
    assert {p.name: p.severity for p in pack.policies} == {p.meta.name: p.meta.severity.value for p in POLICIES}
