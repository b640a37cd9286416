"""Physical names: a valid environment suffix in every name, and names AWS accepts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from . import aws
from .framework import (
    EnforcementLevel,
    Guide,
    Meta,
    ResourceContext,
    Severity,
    current_stack,
    resource_policy,
    secret_config_keys,
    stack_config,
)
from .patterns import linear, search
from .values import UNKNOWN, describe, quote_config, quote_name

SUFFIXED_TYPES: Final = (
    aws.FUNCTION,
    aws.ROLE,
    aws.POLICY,
    aws.ROLE_POLICY,
    aws.LOG_GROUP,
    aws.KMS_ALIAS,
    aws.TABLE,
    aws.QUEUE,
    aws.TOPIC,
)
AUTONAME_SUFFIX: Final = linear(r"-[0-9a-f]{7}")
NAMING_DOC: Final = "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html"

# --- aws-resource-name-restrict-suffix-format ---------------------------------------------------------------

SUFFIX = Meta(
    name="aws-resource-name-restrict-suffix-format",
    description="The environment suffix is well formed and every physical name carries it.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.LOW,
    tags=("naming", "deployability"),
    types=SUFFIXED_TYPES,
    config={
        "suffixConfigKey": {
            "type": "string",
            "minLength": 1,
            "default": "environmentSuffix",
            "description": "The stack config key (in any namespace) holding the suffix; else the stack name.",
        },
        "suffixPattern": {
            "type": "string",
            "default": "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
            "format": "regex",
            "description": "A regex (RE2 syntax) the suffix must match.",
        },
        "maxSuffixLength": {
            "type": "integer",
            "minimum": 1,
            "default": 20,
            "description": "The longest suffix allowed.",
        },
    },
    remediation_steps=(
        "Validate the suffix in the program (lowercase letters, digits and hyphens, at most 20 characters) and "
        "build every physical name from it, e.g. `name=f\"transaction-processor-{suffix}\"`."
    ),
    guide=Guide(
        why="The suffix keeps parallel stacks (dev, pr-123, prod) from colliding on physical names. An "
        "uppercase, underscored or overlong suffix breaks names with AWS's own charset and length rules at "
        "deploy time, and a name without it collides with the next stack. Only names the program sets are judged: "
        "`name`, or `namePrefix` when no name is set. A name Pulumi generates (`<logical name>-<7 hex digits>`, "
        "its autoname) is unique to the stack and passes. Messages show the physical name, unless the program "
        "marked it secret.",
        links=(NAMING_DOC,),
        failing='aws.lambda_.Function("fn", name="transaction-processor", **function_args)  # no suffix',
        compliant='suffix = pulumi.Config().require("environmentSuffix")\n'
        'if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", suffix) or len(suffix) > 20:\n'
        '    raise ValueError(f"environmentSuffix {suffix!r}: use lowercase letters, digits and hyphens")\n'
        'aws.lambda_.Function("fn", name=f"transaction-processor-{suffix}", **function_args)',
        unknowns=(
            ("name", "not applicable, naming name, unless a known `namePrefix` is judged instead; the suffix "
             "itself is still judged."),
        ),
    ),
)


def environment_suffix(config: Mapping[str, Any]) -> tuple[str, str, bool]:
    """The suffix, where it came from and whether it is secret: the first matching stack config key, else the
    stack name."""
    key = config.get("suffixConfigKey")
    for full_key, value in sorted(stack_config().items()):
        if isinstance(key, str) and full_key.split(":", 1)[-1] == key:
            return value, f"stack config {full_key}", full_key in secret_config_keys()
    return current_stack(), "the stack name", False


def check_suffix(r: ResourceContext) -> None:
    suffix, source, secret = environment_suffix(r.config)
    shown = quote_config(suffix, secret)
    if not suffix:
        r.cannot_decide("no environment suffix: neither the stack config key nor the stack name is known")
        return
    pattern, limit = r.config.get("suffixPattern"), r.config.get("maxSuffixLength")
    if not search(str(pattern), suffix) or (isinstance(limit, (int, float)) and len(suffix) > limit):
        r.fail(f"The environment suffix {shown} (from {source}) does not match {pattern} or is longer "
               f"than {describe(limit)} characters; every physical name built from it is at risk. Use lowercase "
               "letters, digits and hyphens.")
    name, prefix = r.props.get("name"), r.props.get("namePrefix")
    if isinstance(prefix, str) and not isinstance(name, str):
        if suffix not in prefix:
            r.fail(f"The name prefix {quote_name(prefix)} does not contain the environment suffix {shown}; "
                   "stacks would collide. Build the prefix from the suffix.")
    elif name is UNKNOWN or (prefix is UNKNOWN and name is None):
        r.cannot_decide("name is unknown at preview")
    elif isinstance(name, str) and suffix not in name and not is_autoname(name, r.name):
        r.fail(f"The physical name {quote_name(name)} (not an autoname) does not contain the environment "
               f"suffix {shown}; stacks would collide. Build the name from the suffix.")


def is_autoname(name: str, logical_name: str) -> bool:
    """Whether `name` is the one Pulumi generates when the program sets none: `<logical name>-<7 hex>`, which
    no other stack can take."""
    core = name.lower().removeprefix("alias/").removesuffix(".fifo")
    return core[:-8] == logical_name.lower() and AUTONAME_SUFFIX.fullmatch(core[-8:]) is not None


# --- aws-resource-name-restrict-length-and-charset ----------------------------------------------------------

NAME_RULES: Final[dict[str, tuple[Any, str]]] = {
    aws.FUNCTION: (linear(r"[A-Za-z0-9_-]{1,64}"), "1-64 of A-Z, a-z, 0-9, '-', '_'"),
    aws.ALIAS: (linear(r"[A-Za-z0-9_-]{1,128}"), "1-128 of A-Z, a-z, 0-9, '-', '_', not all digits"),
    aws.ROLE: (linear(r"[A-Za-z0-9_+=,.@-]{1,64}"), "1-64 of A-Z, a-z, 0-9, '+=,.@-_'"),
    aws.POLICY: (linear(r"[A-Za-z0-9_+=,.@-]{1,128}"), "1-128 of A-Z, a-z, 0-9, '+=,.@-_'"),
    aws.ROLE_POLICY: (linear(r"[A-Za-z0-9_+=,.@-]{1,128}"), "1-128 of A-Z, a-z, 0-9, '+=,.@-_'"),
    aws.USER_POLICY: (linear(r"[A-Za-z0-9_+=,.@-]{1,128}"), "1-128 of A-Z, a-z, 0-9, '+=,.@-_'"),
    aws.GROUP_POLICY: (linear(r"[A-Za-z0-9_+=,.@-]{1,128}"), "1-128 of A-Z, a-z, 0-9, '+=,.@-_'"),
    aws.KMS_ALIAS: (linear(r"alias/[A-Za-z0-9/_-]{1,250}"),
                    "'alias/' then up to 250 of A-Z, a-z, 0-9, '/_-', not under alias/aws/"),
    aws.LOG_GROUP: (linear(r"[.\-_/#A-Za-z0-9]{1,512}"), "1-512 of A-Z, a-z, 0-9, '._-/#'"),
    aws.TABLE: (linear(r"[A-Za-z0-9_.-]{3,255}"), "3-255 of A-Z, a-z, 0-9, '_.-'"),
}
# What the charset allows and AWS still refuses: an all-digit alias (a version), AWS's own key aliases.
RESERVED: Final[dict[str, Callable[[str], bool]]] = {
    aws.ALIAS: str.isdigit,
    aws.KMS_ALIAS: lambda name: name.startswith("alias/aws/"),
}


def _nothing(name: str) -> bool:
    return False


NAME_LIMITS = Meta(
    name="aws-resource-name-restrict-length-and-charset",
    description="Physical names fit AWS's length and character limits.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=("naming", "deployability"),
    types=tuple(NAME_RULES),
    remediation_steps=(
        "Shorten the name or replace the characters AWS does not accept; keep prefixes short so that the "
        "suffix still fits (Lambda functions and IAM roles allow 64 characters)."
    ),
    guide=Guide(
        why="AWS validates names only when it creates the resource, so a name that is too long or has a "
        "character the service rejects fails the deployment halfway, after other resources were created.",
        aws_error="1 validation error detected: Value '...' at 'functionName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern",
        links=(NAMING_DOC, "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"),
        failing='aws.lambda_.Function("fn", name=f"Transaction Processor {suffix}", **function_args)',
        compliant='aws.lambda_.Function("fn", name=f"transaction-processor-{suffix}", **function_args)',
        unknowns=(
            ("name", "not applicable, naming name; judged at `pulumi up`."),
        ),
    ),
)


def check_name_limits(r: ResourceContext) -> None:
    pattern, rule = NAME_RULES[r.type]
    name = r.props.get("name")
    if name is UNKNOWN:
        r.cannot_decide("name is unknown at preview")
    elif name is not None and (not isinstance(name, str) or pattern.fullmatch(name) is None
                               or RESERVED.get(r.type, _nothing)(name)):
        r.fail(f"The name ({describe(name)}) is not a valid {r.type.rsplit(':', 1)[-1]} name: AWS allows {rule}.")


POLICIES = (
    resource_policy(SUFFIX, check_suffix),
    resource_policy(NAME_LIMITS, check_name_limits),
)
