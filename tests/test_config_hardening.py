"""Config the schema lets through but a policy cannot use is an error at Configure, naming the policy, the key
and the value; config regexes run on RE2 (linear time); exemptions never match a URN's stack or project."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from harness import build_servicer, configure, run_stack

from policypack import aws
from policypack.framework import ConfigError
from policypack.registry import POLICIES

TAGS = {"Environment": "development", "Team": "t", "CostCenter": "c"}
REGEX_KEYS = [(p.name, key) for p in POLICIES for key, schema in p.meta.config.items()
              if schema.get("format") == "regex" or schema.get("items", {}).get("format") == "regex"]


def untagged_queue(name: str = "jobs") -> dict[str, Any]:
    return {"type": aws.QUEUE, "name": name, "props": {"name": f"{name}-dev"}}


def configure_with(overrides: dict[str, Any]) -> None:
    configure(build_servicer(), overrides)


@pytest.mark.parametrize("expires", ["2020-02-30", "2020-13-01", "0000-00-00", "２０２７-０１-０１", "2027-1-01"])
def test_an_expiry_that_is_not_a_date_is_a_config_error(expires: str) -> None:
    entry = {"resource": "^jobs$", "reason": "r", "expires": expires}
    with pytest.raises(ConfigError) as raised:
        configure_with({"aws-resource-require-tags": {"exemptions": [{"resource": "x", "reason": "r"}, entry]}})
    message = str(raised.value)
    assert message.startswith("policy 'aws-resource-require-tags': invalid config at key 'exemptions[1].expires'")
    assert "is not a date" in message


def test_a_real_expiry_date_is_accepted_and_applies() -> None:
    exemption = {"resource": "^jobs$", "reason": "TICKET-1", "expires": "2999-12-31"}
    outcome = run_stack([untagged_queue()], policy_config={"aws-resource-require-tags": {"exemptions": [exemption]}})
    assert outcome.of("aws-resource-require-tags") == []
    assert [(p, r) for p, r, _ in outcome.not_applicable if p == "aws-resource-require-tags"] == [
        ("aws-resource-require-tags", "jobs")]


@pytest.mark.parametrize(("policy", "key"), REGEX_KEYS)
@pytest.mark.parametrize("pattern", ["^(prod", "(a)\\1", "(?<=x)y", "a{1001}"])
def test_an_invalid_config_regex_is_a_config_error(policy: str, key: str, pattern: str) -> None:
    value: Any = [pattern] if key == "allowedResourcePatterns" else pattern
    shown = f"{key}[0]" if key == "allowedResourcePatterns" else key
    expected = rf"^policy '{policy}': invalid config at key '{re.escape(shown)}': .* is not a valid regex \(RE2"
    with pytest.raises(ConfigError, match=expected):
        configure_with({policy: {key: value}})


def test_an_invalid_exemption_regex_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^policy 'lambda-function-configure-arm64': invalid config at key "
                       r"'exemptions\[0\]\.resource': \"\^batch-\(\" is not a valid regex"):
        configure_with({"lambda-function-configure-arm64": {"exemptions": [{"resource": "^batch-(", "reason": "r"}]}})


def test_every_regex_key_is_declared_as_one() -> None:
    assert sorted(k for _, k in REGEX_KEYS) == ["allowedResourcePatterns", "productionStackPattern", "suffixPattern"]


def test_a_config_the_pack_was_not_configured_with_still_fails_closed() -> None:
    # Analyze with an invalid pattern that reached the policy some other way: a mandatory violation, not a pass.
    servicer = build_servicer()
    configure(servicer, {})
    servicer._PolicyAnalyzerServicer__policy_pack_config["aws-resource-require-tags"] = {  # type: ignore[attr-defined]
        "exemptions": [{"resource": "(", "reason": "r"}]}
    outcome = run_stack([untagged_queue()], servicer=servicer, per_resource=True)
    assert [(d.policy, d.resource, d.level) for d in outcome.of("aws-resource-require-tags")] == [
        ("aws-resource-require-tags", "jobs", "mandatory")]


def finishes(action: Any, seconds: float = 60) -> None:
    """`re` took 66 s for `(a+)+$` on 29 characters and doubles with each one; RE2 answers in microseconds."""
    done = threading.Event()
    worker = threading.Thread(target=lambda: (action(), done.set()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert done.is_set(), "a config regex did not finish: it runs with backtracking"


def test_a_catastrophic_suffix_pattern_does_not_hang() -> None:
    config = {"aws-resource-name-restrict-suffix-format": {"suffixPattern": "^(a+)+$"}}
    stack = "a" * 1000 + "!"
    outcome: list[Any] = []
    finishes(lambda: outcome.append(run_stack([untagged_queue()], stack=stack, policy_config=config)))
    assert [d.resource for d in outcome[0].of("aws-resource-name-restrict-suffix-format")] == ["jobs", "jobs"]


def test_a_catastrophic_exemption_does_not_hang() -> None:
    config = {"aws-resource-require-tags": {"exemptions": [{"resource": "^(a+)+$", "reason": "r"}]}}
    outcome: list[Any] = []
    finishes(lambda: outcome.append(run_stack([untagged_queue("a" * 1000 + "!")], policy_config=config)))
    assert [d.resource for d in outcome[0].of("aws-resource-require-tags")] == ["a" * 1000 + "!"]


def test_a_catastrophic_allowed_resource_pattern_does_not_hang() -> None:
    arn = "arn:aws:s3:::" + "a" * 1000 + "!"
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": arn}]}
    policy = {"type": aws.POLICY, "name": "p", "props": {"name": "p-dev", "policy": {"$json": document}}}
    config = {"iam-policy-disallow-wildcard-resources": {"allowedResourcePatterns": ["arn:aws:s3:::(a+)+"]}}
    finishes(lambda: run_stack([policy], policy_config=config))


@pytest.mark.parametrize("pattern", ["dev", "fixture", "urn:pulumi", "pulumi:pulumi:Stack"])
def test_an_exemption_does_not_match_the_stack_or_project_part_of_the_urn(pattern: str) -> None:
    config = {"aws-resource-require-tags": {"exemptions": [{"resource": pattern, "reason": "r"}]}}
    outcome = run_stack([untagged_queue()], policy_config=config)
    assert [(d.resource, d.level) for d in outcome.of("aws-resource-require-tags")] == [("jobs", "mandatory")]


def test_an_exemption_of_one_type_exempts_its_resources_only() -> None:
    config = {"aws-resource-require-tags": {"exemptions": [{"resource": "aws:sqs/queue:Queue::", "reason": "r"}]}}
    log_group = {"type": aws.LOG_GROUP, "name": "logs", "props": {"name": "/aws/lambda/fn-dev", "retentionInDays": 7}}
    outcome = run_stack([untagged_queue(), log_group], policy_config=config)
    assert [d.resource for d in outcome.of("aws-resource-require-tags")] == ["logs"]
    assert ("aws-resource-require-tags", "jobs") in [(p, r) for p, r, _ in outcome.not_applicable]


def test_a_stack_policy_exemption_matches_the_name_not_the_stack() -> None:
    tagged = {**untagged_queue(), "props": {"name": "jobs-dev", "tags": {**TAGS, "Environment": "production"}}}
    for pattern, exempted in (("dev", False), ("^jobs$", True)):
        config = {"aws-environment-tag-match-stack": {"exemptions": [{"resource": pattern, "reason": "r"}]}}
        outcome = run_stack([tagged], policy_config=config)
        assert bool(outcome.of("aws-environment-tag-match-stack")) is not exempted, pattern
