"""The check's result, and its text, JSON (docs/check.md) and SARIF 2.1.0 renderings."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, urlparse

REPORT_VERSION: Final = 1
SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
SECURITY_SEVERITY: Final = {"low": "3.9", "medium": "6.9", "high": "8.9", "critical": "10.0"}
# A policy's kind: the first of these tags it has, in this order; a policy with none of them counts as security.
KIND_TAGS: Final = {"security": "security", "deployability": "deployability", "cost": "cost",
                    "operations": "operations", "observability": "operations"}
FORMATS: Final = ("text", "json", "sarif")
# C0 and C1 controls, DEL, and the bidirectional overrides: text that could forge or hide a line on a terminal.
CONTROLS: Final = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class PolicyMeta:
    name: str
    description: str
    kind: str
    level: str
    severity: str = ""
    remediation_steps: str = ""
    url: str = ""
    tags: tuple[str, ...] = ()
    framework: tuple[tuple[str, str], ...] = ()  # the compliance framework's set fields: name, reference, ...


@dataclass(frozen=True)
class PackInfo:
    name: str
    version: str
    directory: str
    policies: tuple[PolicyMeta, ...] = ()


@dataclass(frozen=True)
class Violation:
    policy_pack: str
    policy: str
    enforcement_level: str
    severity: str
    urn: str
    resource_type: str
    resource_name: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {
            "policyPack": self.policy_pack,
            "policy": self.policy,
            "enforcementLevel": self.enforcement_level,
            "severity": self.severity,
            "urn": self.urn,
            "resourceType": self.resource_type,
            "resourceName": self.resource_name,
            "message": self.message,
        }


@dataclass(frozen=True)
class NotApplicable:
    policy: str
    urn: str
    reason: str
    policy_pack: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"policy": self.policy, "urn": self.urn, "reason": self.reason}


@dataclass(frozen=True)
class Remediation:
    policy: str
    urn: str
    description: str
    policy_pack: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"policy": self.policy, "urn": self.urn, "description": self.description}


@dataclass(frozen=True)
class Report:
    project: str
    stack: str
    mode: str
    packs: tuple[PackInfo, ...]
    resources: int
    violations: tuple[Violation, ...]
    not_applicable: tuple[NotApplicable, ...] = ()
    remediations: tuple[Remediation, ...] = ()
    program_file: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def mandatory(self) -> int:
        return sum(1 for v in self.violations if v.enforcement_level == "mandatory")

    @property
    def advisory(self) -> int:
        return sum(1 for v in self.violations if v.enforcement_level == "advisory")

    @property
    def exit_code(self) -> int:
        return 1 if self.mandatory else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": REPORT_VERSION,
            "project": self.project,
            "stack": self.stack,
            "mode": self.mode,
            "policyPacks": [{"name": p.name, "version": p.version} for p in self.packs],
            "resources": self.resources,
            "violations": [_with_framework(v, self.packs) for v in self.violations],
            "notApplicable": [n.to_dict() for n in self.not_applicable],
            "remediations": [r.to_dict() for r in self.remediations],
            "summary": {"mandatory": self.mandatory, "advisory": self.advisory},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def to_sarif(self) -> dict[str, Any]:
        return sarif(self)

    def to_text(self) -> str:
        return text(self)

    def render(self, fmt: str) -> str:
        if fmt == "json":
            return self.to_json()
        if fmt == "sarif":
            return json.dumps(self.to_sarif(), indent=2) + "\n"
        return self.to_text()


def _with_framework(violation: Violation, packs: tuple[PackInfo, ...]) -> dict[str, Any]:
    entry: dict[str, Any] = violation.to_dict()
    for pack in packs:
        for policy in pack.policies:
            if pack.name == violation.policy_pack and policy.name == violation.policy and policy.framework:
                entry["framework"] = dict(policy.framework)
    return entry


def sort_violations(violations: Iterable[Violation]) -> tuple[Violation, ...]:
    return tuple(sorted(violations, key=lambda v: (v.urn, v.policy, v.policy_pack, v.message)))


# --- text, like the Policies section of `pulumi preview` ------------------------------------------------------


def _resource_label(urn: str) -> str:
    parts = urn.split("::")
    if len(parts) < 4:
        return urn
    return f"{parts[2].split('$')[-1]}: {parts[3]}"


def escape_controls(text: str) -> str:
    """`text` with every control character written as an escape (`\\n`, `\\x1b`), so that it stays one line."""
    if text.isprintable():
        return text
    return CONTROLS.sub(lambda m: json.dumps(m.group())[1:-1].replace("\\u00", "\\x"), text)


def _indented(message: str, indent: str) -> list[str]:
    lines = [f"{indent}{escape_controls(line)}".rstrip() for line in message.split("\n")]
    return lines or [indent.rstrip()]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def text(report: Report) -> str:
    lines = ["Policies:"]
    for pack in report.packs:
        found = [v for v in report.violations if v.policy_pack == pack.name]
        marker = "❌" if any(v.enforcement_level == "mandatory" for v in found) else ("⚠️ " if found else "✅")
        lines.append(escape_controls(f"    {marker} {pack.name}@v{pack.version} (local: {pack.directory})"))
        for violation in found:
            lines.append(escape_controls(
                f"        - [{violation.enforcement_level}]  {violation.policy}  ({_resource_label(violation.urn)})"
            ))
            lines.extend(_indented(violation.message, " " * 10))
        for fix in (r for r in report.remediations if r.policy_pack == pack.name):
            lines.append(escape_controls(f"        - [remediate]  {fix.policy}  ({_resource_label(fix.urn)})"))
            lines.extend(_indented(fix.description, " " * 10))
        for skipped in (n for n in report.not_applicable if n.policy_pack == pack.name):
            lines.append(escape_controls(
                f"        - [not applicable]  {skipped.policy}  ({_resource_label(skipped.urn)})"))
            if skipped.reason:
                lines.extend(_indented(skipped.reason, " " * 10))
    lines.append("")
    lines.append(escape_controls(
        f"Policy summary: {_count(report.mandatory, 'mandatory violation')}, "
        f"{_count(report.advisory, 'advisory violation')} on {_count(report.resources, 'resource')} "
        f"({report.project}/{report.stack}, offline {report.mode})"
    ))
    return "\n".join(lines) + "\n"


# --- SARIF 2.1.0 ------------------------------------------------------------------------------------------------


def _rule_id(pack: PackInfo, policy: str, several_packs: bool) -> str:
    return f"{pack.name}/{policy}" if several_packs else policy


def _rule(pack: PackInfo, policy: PolicyMeta, several_packs: bool) -> dict[str, Any]:
    help_text = policy.remediation_steps or policy.description
    kind = policy_kind(policy.tags)
    if policy.url and not _absolute(policy.url):
        help_text = f"{help_text}\n\nSee {policy.url}"
    rule: dict[str, Any] = {
        "id": _rule_id(pack, policy.name, several_packs),
        "name": policy.name,
        "shortDescription": {"text": policy.description},
        "fullDescription": {"text": policy.description},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": "error" if policy.level in ("mandatory", "remediate") else "warning"},
        "properties": {"tags": list(dict.fromkeys(policy.tags)), "precision": "very-high", "kind": kind},
    }
    if policy.url and _absolute(policy.url):
        rule["helpUri"] = policy.url
    if kind == "security":
        rule["properties"]["tags"] = list(dict.fromkeys(["security", *policy.tags]))
        if policy.severity in SECURITY_SEVERITY:
            rule["properties"]["security-severity"] = SECURITY_SEVERITY[policy.severity]
    framework = dict(policy.framework)
    if framework:
        rule["properties"]["framework"] = framework
        if framework.get("reference"):
            rule["properties"]["tags"] = list(dict.fromkeys([*rule["properties"]["tags"], framework["reference"]]))
    return rule


def policy_kind(tags: Iterable[str]) -> str:
    """security, deployability, cost or operations: only security findings carry a security-severity, so code
    scanning shows the others as errors and warnings, not as security alerts."""
    given = set(tags)
    return next((kind for tag, kind in KIND_TAGS.items() if tag in given), "security")


def _absolute(url: str) -> bool:
    parsed = urlparse(url)
    return bool(parsed.scheme and parsed.netloc)


def _artifact(path: str) -> dict[str, str]:
    if path.startswith("/"):
        return {"uri": f"file://{quote(path)}"}
    return {"uri": quote(path), "uriBaseId": "%SRCROOT%"}


def _result(report: Report, violation: Violation, rule_index: dict[str, int], several_packs: bool) -> dict[str, Any]:
    rule_id = f"{violation.policy_pack}/{violation.policy}" if several_packs else violation.policy
    fingerprint = hashlib.sha256(f"{violation.policy_pack}\0{violation.policy}\0{violation.urn}".encode()).hexdigest()
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "level": "error" if violation.enforcement_level == "mandatory" else "warning",
        "message": {"text": violation.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(report.program_file),
                    "region": {"startLine": 1},
                },
                "logicalLocations": [
                    {
                        "name": violation.resource_name,
                        "fullyQualifiedName": violation.urn,
                        "kind": "resource",
                    }
                ],
            }
        ],
        "partialFingerprints": {"pulumiPolicyViolation/v1": fingerprint},
        "properties": {
            "policyPack": violation.policy_pack,
            "enforcementLevel": violation.enforcement_level,
            "severity": violation.severity,
            "resourceType": violation.resource_type,
            "urn": violation.urn,
        },
    }
    if rule_id in rule_index:
        result["ruleIndex"] = rule_index[rule_id]
    return result


def sarif(report: Report) -> dict[str, Any]:
    several_packs = len(report.packs) > 1
    rules = [_rule(pack, policy, several_packs) for pack in report.packs for policy in pack.policies]
    rule_index = {rule["id"]: index for index, rule in enumerate(rules)}
    versions = ", ".join(f"{p.name}@{p.version}" for p in report.packs)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pulumi-policy-offline-check",
                        "fullName": f"Pulumi policy offline check ({versions})",
                        "version": report.packs[0].version if len(report.packs) == 1 else "1",
                        "informationUri": "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/",
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"pulumi-policy/{report.project}/{report.stack}/{report.mode}/"},
                "results": [_result(report, v, rule_index, several_packs) for v in report.violations],
            }
        ],
    }
