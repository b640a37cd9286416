"""The pack end to end on the repository's programs, through the offline check: the seed's flaws, each on the
right resource; the reference stack examined by every policy; the ready-made policy configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambda_guardrails.offline.capture import CaptureProcess
from lambda_guardrails.offline.project import load_program, load_stack_config
from lambda_guardrails.testing import CheckError, Report, check_program
from policypack import aws
from policypack.registry import PACK_ROOT, POLICIES

SEED = PACK_ROOT / "examples" / "seed-model-response"
TS_SEED = PACK_ROOT / "examples" / "seed-model-response-ts"
REFERENCE = PACK_ROOT / "reference_stack"
CONFIGS = PACK_ROOT / "policy-config"

SEED_VIOLATIONS = sorted([
    ("aws-environment-tag-match-stack", "lambda-log-group-dev", "mandatory"),
    ("aws-environment-tag-match-stack", "lambda-transaction-role-dev", "mandatory"),
    ("aws-environment-tag-match-stack", "transaction-processor-dev", "mandatory"),
    ("cloudwatch-log-group-require-kms-encryption", "lambda-log-group-dev", "advisory"),
    ("iam-policy-disallow-wildcard-resources", "lambda-dynamodb-policy-dev", "mandatory"),
    ("lambda-function-disallow-placeholder-code", "transaction-processor-dev", "advisory"),
    ("lambda-function-disallow-placeholder-code", "transaction-processor-dev", "advisory"),
    ("lambda-function-disallow-deprecated-runtime", "transaction-processor-dev", "advisory"),
    ("lambda-function-disallow-plaintext-secrets", "transaction-processor-dev", "mandatory"),
    ("lambda-function-require-cmk-encryption", "transaction-processor-dev", "mandatory"),
    ("lambda-function-require-published-alias", "transaction-processor-dev", "advisory"),
    ("lambda-reserved-concurrency-restrict-per-function", "transaction-processor-dev", "mandatory"),
])
# The provisioned concurrency on fn.version: a literal $LATEST after `pulumi up`, unknown (and followed to the
# unpublished Function) in preview.
SEED_QUALIFIER = {
    "preview": ("lambda-provisioned-concurrency-require-published-version", "lambda-provisioned-concurrency-dev",
                "mandatory"),
    "update": ("lambda-provisioned-concurrency-disallow-unpublished", "lambda-provisioned-concurrency-dev",
               "mandatory"),
}


# The seed's nodejs20.x is deprecated (2026-04-30) until creation is blocked on 2027-02-01; judged on a fixed date.
SEED_DATE = {name: {"evaluationDate": "2026-11-30"} for name in (
    "lambda-function-disallow-blocked-runtime", "lambda-function-disallow-deprecated-runtime")}
# The reference stack's HTTP entry is API Gateway with IAM auth, not a function URL; the fixtures pin that policy.
NOT_IN_REFERENCE = {"lambda-function-url-require-iam-auth"}


def found(report: Report) -> list[tuple[str, str, str]]:
    return sorted((v.policy, v.resource_name, v.enforcement_level) for v in report.violations)


@pytest.mark.parametrize("mode", ["preview", "update"])
def test_seed_model_response_has_exactly_the_predicted_violations(mode: str) -> None:
    report = check_program(SEED, stack="dev", mode=mode, policy_config=SEED_DATE)
    assert found(report) == sorted([*SEED_VIOLATIONS, SEED_QUALIFIER[mode]])
    assert report.exit_code == 1
    for violation in report.violations:
        assert "placeholder-api-key" not in violation.message and "placeholder-database-url" not in violation.message


@pytest.mark.usefixtures("node_programs")
@pytest.mark.parametrize("mode", ["preview", "update"])
def test_typescript_seed_is_judged_as_its_python_translation(mode: str) -> None:
    typescript = check_program(TS_SEED, stack="dev", mode=mode, policy_config=SEED_DATE)
    python = check_program(SEED, stack="dev", mode=mode, policy_config=SEED_DATE)
    assert found(typescript) == found(python) == sorted([*SEED_VIOLATIONS, SEED_QUALIFIER[mode]])
    assert [(n.policy, n.urn, n.reason) for n in typescript.not_applicable] == [
        (n.policy, n.urn, n.reason) for n in python.not_applicable]
    assert [v.urn for v in typescript.violations] == [v.urn for v in python.violations]
    assert (typescript.resources, typescript.exit_code, typescript.program_file) == (
        python.resources, 1, "examples/seed-model-response-ts/bin/tap.ts")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_policy_examines_a_resource_of_the_reference_stack(stack: str) -> None:
    program = load_program(REFERENCE)
    capture = CaptureProcess(program, load_stack_config(program, stack), True)
    capture.start()
    try:
        captured, _ = capture.result()
    finally:
        capture.stop()
    types = {resource.type for resource in captured.resources}
    for policy in POLICIES:
        examined = set(policy.meta.types) if policy.meta.types else set(aws.TAGGABLE)
        assert bool(types & examined) != (policy.name in NOT_IN_REFERENCE), policy.name


@pytest.mark.parametrize(("stack", "config"), [("dev", "development.json"), ("prod", "production.json")])
def test_ready_made_configs_pass_the_reference_stack(stack: str, config: str) -> None:
    for mode in ("preview", "update"):
        report = check_program(REFERENCE, stack=stack, mode=mode, policy_config=CONFIGS / config)
        assert found(report) == [], (mode, [v.message for v in report.violations])


def test_account_limits_config_fails_reservations_on_a_reduced_quota_account() -> None:
    report = check_program(REFERENCE, stack="dev", policy_config=CONFIGS / "account-limits.json")
    assert found(report) == sorted([
        ("lambda-reserved-concurrency-restrict-per-function", "transaction-processor-function", "mandatory"),
        ("lambda-reserved-concurrency-restrict-account-total", "lambda-reference-dev", "mandatory"),
    ])


@pytest.mark.parametrize("config", sorted(p.name for p in CONFIGS.glob("*.json")))
def test_ready_made_configs_name_real_policies_and_keys(config: str) -> None:
    by_name = {policy.name: policy for policy in POLICIES}
    for name, entry in json.loads((CONFIGS / config).read_text(encoding="utf-8")).items():
        assert name == "all" or name in by_name, name
        if isinstance(entry, dict):
            assert set(entry) - {"enforcementLevel"} <= set(by_name[name].meta.defaults()), (name, entry)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_security_hub_profile_fails_what_fsbp_fails_on_the_reference_stack(stack: str) -> None:
    # CloudWatch.16 asks for a year of logs where the reference stack keeps 7-30 days (its cost goal), and Lambda.3
    # and Lambda.5 for a VPC it does not need: exactly those, in both modes.
    for mode in ("preview", "update"):
        report = check_program(REFERENCE, stack=stack, mode=mode, policy_config=CONFIGS / "security-hub-fsbp.json")
        assert found(report) == [
            ("cloudwatch-log-group-configure-retention", "transaction-processor-logs", "mandatory"),
            ("lambda-function-require-vpc", "transaction-processor-function", "mandatory"),
        ], mode


def test_a_config_that_breaks_a_schema_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"cloudwatch-log-group-configure-retention": {"maxRetentionDays": "thirty"}}))
    with pytest.raises(CheckError, match=r"cloudwatch-log-group-configure-retention.*maxRetentionDays"):
        check_program(REFERENCE, stack="dev", policy_config=broken)


def test_an_iam_document_unknown_at_preview_is_advisory_then_mandatory_at_update() -> None:
    program = Path(__file__).parent / "programs" / "iam_from_output"
    iam_policies = ("iam-policy-disallow-wildcard-actions", "iam-policy-disallow-wildcard-resources")
    preview = [v for v in check_program(program, mode="preview").violations if v.policy in iam_policies]
    assert sorted((v.policy, v.resource_name, v.enforcement_level) for v in preview) == [
        (policy, "orders-access", "advisory") for policy in iam_policies]
    assert all("can't run policy" in v.message and "during preview" in v.message for v in preview)
    update = check_program(program, mode="update")
    assert found(update) == [("iam-policy-disallow-wildcard-actions", "orders-access", "mandatory")]
    assert update.exit_code == 1
