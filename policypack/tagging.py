"""Cost-allocation tags, and an Environment tag that tells the truth about the stack."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from . import aws
from .framework import (
    EnforcementLevel,
    Guide,
    Meta,
    Res,
    ResourceContext,
    Severity,
    StackContext,
    current_stack,
    resource_policy,
    stack_policy,
)
from .patterns import search
from .values import UNKNOWN, describe, quote, string_map

TAGGING_DOC = "https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html"

# --- aws-resource-require-tags -----------------------------------------------------------------------------

REQUIRE_TAGS = Meta(
    name="aws-resource-require-tags",
    description="Taggable AWS resources carry every required tag with a non-empty value.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=("tagging", "cost", "governance"),
    types=(),  # every aws: type with a tags input, listed in aws.TAGGABLE or not
    config={
        "requiredTags": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "default": ["Environment", "Team", "CostCenter"],
            "description": "Tag keys every taggable resource must carry (provider default tags count).",
        },
        "defaultTagValues": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "default": {},
            "description": "At the remediate level, the values filled in for missing required tags.",
        },
    },
    remediation_steps=(
        "Add the missing keys to the resource's `tags`, or once for every resource to the provider's "
        "`default_tags` (`aws:defaultTags` in stack config). Take the values from stack config, not literals. "
        "At the remediate level the policy fills missing keys from `defaultTagValues`."
    ),
    guide=Guide(
        why="Untagged resources cannot be attributed to a team or a cost center, fall outside tag-based access "
        "control and budgets, and are the ones nobody dares to delete.",
        links=(TAGGING_DOC,),
        failing='aws.cloudwatch.LogGroup("logs", tags={"Team": "payments"})',
        compliant='config = pulumi.Config()\n'
        'tags = {"Environment": config.require("environment"), "Team": config.require("team"),\n'
        '        "CostCenter": config.require("costCenter")}\n'
        'aws.cloudwatch.LogGroup("logs", tags=tags)',
        unknowns=(
            ("tags", "when the provider's default tags do not already cover every required key: not applicable, naming "
             "tags."),
            ("tags.<key>", "a value unknown at preview counts as present."),
        ),
    ),
)


def _has_value(value: Any) -> bool:
    return value is UNKNOWN or (isinstance(value, str) and bool(value.strip()))


def _required(config: Mapping[str, Any]) -> list[str]:
    keys = config.get("requiredTags")
    return [key for key in keys if isinstance(key, str)] if isinstance(keys, list) else []


def _is_taggable(resource_type: str, props: Mapping[str, Any]) -> bool:
    return resource_type in aws.TAGGABLE or (resource_type.startswith("aws:") and "tags" in props)


def _missing(config: Mapping[str, Any], tags: Any, default_tags: Mapping[str, Any]) -> list[str]:
    """Required keys with a value neither in the resource's tags nor in the provider's default tags."""
    present = tags if isinstance(tags, dict) else {}
    return [key for key in _required(config)
            if not _has_value(default_tags.get(key)) and not _has_value(present.get(key))]


def check_tags(r: ResourceContext) -> None:
    if not _is_taggable(r.type, r.props):
        return
    tags = string_map(r.props.get("tags"))
    missing = _missing(r.config, tags, aws.provider_default_tags(r.provider_props))
    if not missing:
        return
    if tags is UNKNOWN:
        r.cannot_decide(f"tags are unknown at preview; required: {', '.join(_required(r.config))}")
        return
    r.fail(f"Missing or empty tags: {', '.join(missing)}. Add them to tags= or to the provider's default_tags.")


def fill_tags(r: ResourceContext) -> bool:
    if not _is_taggable(r.type, r.props):
        return False
    values = r.config.get("defaultTagValues")
    current = string_map(r.props.get("tags"))
    if not isinstance(values, Mapping) or current is UNKNOWN:
        return False
    missing = _missing(r.config, current, aws.provider_default_tags(r.provider_props))
    fills = {key: values[key] for key in missing if isinstance(values.get(key), str) and values[key].strip()}
    if not fills:
        return False
    wire_tags = r.wire_props.get("tags")
    if isinstance(current, dict) and isinstance(wire_tags, Mapping):
        for key, value in fills.items():
            wire_tags[key] = value  # type: ignore[index]  # the SDK's proxy keeps secret tag values secret
    else:
        r.set("tags", {**(current if isinstance(current, dict) else {}), **fills})
    return True


# --- aws-environment-tag-match-stack -----------------------------------------------------------------------

ENVIRONMENT_MATCH = Meta(
    name="aws-environment-tag-match-stack",
    description="Environment tags are allowed values, agree across the stack, and say production only on "
    "production stacks.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=("tagging", "governance", "security"),
    types=tuple(sorted(aws.TAGGABLE | {aws.PROVIDER})),
    config={
        "allowedEnvironments": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "default": ["development", "staging", "production"],
            "description": "The values an Environment tag may take.",
        },
        "productionStackPattern": {
            "type": "string",
            "default": "^(prod|production)([-_].*)?$",
            "format": "regex",
            "description": "A regex (RE2 syntax) on the stack name: matching stacks are production stacks.",
        },
    },
    remediation_steps=(
        "Take the Environment tag from stack config (`pulumi.Config().require(\"environment\")`) instead of a "
        "literal, set it to `production` only in production stacks, and use one value for the whole stack."
    ),
    guide=Guide(
        why="Environment tags drive cost reports, access policies and incident response. A development stack "
        "tagged `production` inherits production permissions and pollutes production reports; a production "
        "stack tagged otherwise escapes its guard rails.",
        links=(TAGGING_DOC,),
        failing='tags = {"Environment": "production", "Team": "payments", "CostCenter": "fintech"}  # every stack',
        compliant='config = pulumi.Config()\n'
        'tags = {"Environment": config.require("environment"), "Team": config.require("team"),\n'
        '        "CostCenter": config.require("costCenter")}',
        unknowns=(
            ("tags.Environment", "not applicable, naming the resource; the known values are still judged."),
        ),
    ),
)


def _environment_values(s: StackContext) -> list[tuple[Res, Any]]:
    found: list[tuple[Res, Any]] = []
    for res in s.index.by_urn.values():
        if res.type == aws.PROVIDER:
            tags: Any = aws.provider_default_tags(res.props)
        elif res.type.startswith("aws:"):
            tags = string_map(res.prop("tags"))
        else:
            continue
        if tags is UNKNOWN:
            found.append((res, UNKNOWN))
        elif isinstance(tags, dict) and "Environment" in tags:
            found.append((res, tags["Environment"]))
    return found


def check_environment(s: StackContext) -> None:
    allowed = [value for value in s.config.get("allowedEnvironments") or [] if isinstance(value, str)]
    stack = current_stack()
    production_stack = search(str(s.config.get("productionStackPattern")), stack) if stack else None
    values = _environment_values(s)
    for res, value in values:
        if value is UNKNOWN:
            s.cannot_decide(f"{res.name}: the Environment tag is unknown at preview")
        elif value not in allowed:
            s.fail(f"The Environment tag ({describe(value)}) is not one of {', '.join(allowed)}.", res.urn)
        elif production_stack is True and value != "production":
            s.fail(f'Environment tag is {quote(value)} on stack "{stack}", a production stack: tag it '
                   '"production".', res.urn)
        elif production_stack is False and value == "production":
            s.fail(f'Environment tag is "production" on stack "{stack}", which is not a production stack '
                   "(productionStackPattern). Take the tag from stack config instead of hardcoding it.", res.urn)
    known = [value for _, value in values if isinstance(value, str) and value in allowed]
    counts = Counter(known)
    if len(counts) > 1:
        majority = max(counts, key=lambda value: (counts[value], -known.index(value)))
        for res, value in values:
            if isinstance(value, str) and value in allowed and value != majority:
                s.fail(f"Environment tag is {quote(value)} while the rest of the stack says "
                       f"{quote(majority)}: one stack, one environment.", res.urn)


POLICIES = (
    resource_policy(REQUIRE_TAGS, check_tags, fill_tags),
    stack_policy(ENVIRONMENT_MATCH, check_environment),
)
