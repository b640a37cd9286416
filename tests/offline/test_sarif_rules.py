"""The SARIF rules of this pack's own policies: unique tags, and a security-severity only for security findings."""

from __future__ import annotations

from typing import Any

from lambda_guardrails.offline.report import PackInfo, PolicyMeta, Report, Violation
from policypack.registry import POLICIES


def pack_report(violations: tuple[Violation, ...] = ()) -> Report:
    metas = tuple(PolicyMeta(name=p.meta.name, description=p.meta.description, kind="resource",
                             level=p.meta.level.value, severity=p.meta.severity.value, tags=p.meta.tags)
                  for p in POLICIES)
    return Report("app", "dev", "preview", (PackInfo("aws-lambda-guardrails", "1", ".", metas),), 1, violations)


def rules() -> dict[str, dict[str, Any]]:
    return {rule["id"]: rule for rule in pack_report().to_sarif()["runs"][0]["tool"]["driver"]["rules"]}


def test_every_rule_has_unique_tags() -> None:
    for rule in rules().values():
        tags = rule["properties"]["tags"]
        assert len(tags) == len(set(tags)), rule["id"]


def test_security_severity_follows_severity_and_kind() -> None:
    found = {name: (rule["properties"]["kind"], rule["properties"].get("security-severity"),
                    "security" in rule["properties"]["tags"]) for name, rule in rules().items()}
    assert found["aws-resource-require-tags"] == ("cost", None, False)
    assert found["aws-resource-name-restrict-suffix-format"] == ("deployability", None, False)
    assert found["lambda-function-enable-xray-tracing"] == ("operations", None, False)
    assert found["iam-policy-disallow-wildcard-resources"] == ("security", "8.9", True)
    assert found["lambda-function-disallow-plaintext-secrets"] == ("security", "8.9", True)
    assert {kind for kind, _, _ in found.values()} == {"security", "deployability", "cost", "operations"}
    assert all((severity is not None) == is_security for kind, severity, is_security in found.values())


def test_summary_counts_each_level_in_its_own_number() -> None:
    one = Violation("aws-lambda-guardrails", "aws-resource-require-tags", "mandatory", "high",
                    "urn:pulumi:dev::app::aws:sqs/queue:Queue::q", "aws:sqs/queue:Queue", "q", "Missing tags.")
    assert pack_report((one,)).to_text().endswith(
        "Policy summary: 1 mandatory violation, 0 advisory violations on 1 resource (app/dev, offline preview)\n")
