"""A second tiny pack: reads the provider handed over with each resource."""

import json
from collections.abc import Mapping

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

TAGGABLE = ("aws:kms/key:Key", "aws:dynamodb/table:Table", "aws:lambda/function:Function")


def provider_tags(args: ResourceValidationArgs) -> Mapping:
    if args.provider is None:
        return {}
    default_tags = args.provider.props.get("defaultTags")
    if isinstance(default_tags, str):
        default_tags = json.loads(default_tags)
    return (default_tags or {}).get("tags") or {}


def team_tag(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in TAGGABLE:
        return
    key = args.get_config()["key"]
    tags = {**provider_tags(args), **(args.props.get("tags") or {})}
    if key not in tags:
        report(f"no '{key}' tag, neither on the resource nor from its provider ({args.provider.urn}).")


PolicyPack(
    name="offline-tags",
    initial_config={"tags-require-team": {"enforcementLevel": EnforcementLevel.MANDATORY, "key": "Team"}},
    policies=[
        ResourceValidationPolicy(
            name="tags-require-team",
            description="Resources carry a team tag.",
            validate=team_tag,
            enforcement_level=EnforcementLevel.MANDATORY,
            severity=Severity.HIGH,
            config_schema=PolicyConfigSchema(properties={"key": {"type": "string", "default": "Team"}}),
        ),
    ],
)
