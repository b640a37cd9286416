"""FSBP control ids: in each policy's SDK `framework`, the guide, and the offline check's JSON and SARIF."""

from __future__ import annotations

from lambda_guardrails import guide
from lambda_guardrails.testing import check_program
from policypack.registry import PACK_ROOT, POLICIES

MAPPED = {
    "lambda-permission-disallow-public-invocation": "Lambda.1",
    "lambda-function-disallow-blocked-runtime": "Lambda.2",
    "lambda-function-disallow-deprecated-runtime": "Lambda.2",
    "lambda-function-require-vpc": "Lambda.3",
    "lambda-function-enable-xray-tracing": "Lambda.7",
    "kms-key-enable-rotation": "KMS.4",
    "cloudwatch-log-group-configure-retention": "CloudWatch.16",
}
DATES = {name: {"evaluationDate": "2026-11-30"} for name in (
    "lambda-function-disallow-blocked-runtime", "lambda-function-disallow-deprecated-runtime")}


def test_the_sdk_framework_names_the_control() -> None:
    found = {p.name: p.framework.reference for p in POLICIES if p.framework is not None}
    assert found == MAPPED
    public = next(p for p in POLICIES if p.name == "lambda-permission-disallow-public-invocation")
    assert public.framework.name == "AWS Foundational Security Best Practices"
    assert public.framework.specification.startswith("NIST 800-53 r5: AC-21, AC-3, AC-3(7)")


def test_the_guide_shows_the_control() -> None:
    text = guide.GUIDE.read_text(encoding="utf-8")
    for name, control in MAPPED.items():
        section = text.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]
        assert f"**Compliance.** AWS Foundational Security Best Practices control {control}" in section, name


def test_json_and_sarif_carry_the_control() -> None:
    report = check_program(PACK_ROOT / "examples" / "seed-model-response", policy_config=DATES)
    violations = report.to_dict()["violations"]
    runtime = [v for v in violations if v["policy"] == "lambda-function-disallow-deprecated-runtime"]
    assert [v["framework"]["reference"] for v in runtime] == ["Lambda.2"]
    assert not any("framework" in v for v in violations if v["policy"] not in MAPPED)
    rules = {rule["id"]: rule for rule in report.to_sarif()["runs"][0]["tool"]["driver"]["rules"]}
    for name, control in MAPPED.items():
        assert rules[name]["properties"]["framework"]["reference"] == control
        assert control in rules[name]["properties"]["tags"]
    assert "framework" not in rules["lambda-function-url-require-iam-auth"]["properties"]
