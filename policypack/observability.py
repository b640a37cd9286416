"""Observability: X-Ray tracing, log retention, and a managed log group for every function."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from . import aws
from .framework import (
    Control,
    EnforcementLevel,
    Guide,
    Meta,
    Res,
    ResourceContext,
    Severity,
    StackContext,
    resource_policy,
    stack_policy,
)
from .values import UNKNOWN, describe, get, integer

ALLOWED_RETENTION_DAYS: Final = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                                 2557, 2922, 3288, 3653)
TRACING_MODES: Final = ("Active", "PassThrough")
LOGS_DOC: Final = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html"
LOG_GROUPS_DOC: Final = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html"

# --- lambda-function-enable-xray-tracing --------------------------------------------------------------------

XRAY = Meta(
    name="lambda-function-enable-xray-tracing",
    description="A function sends traces to AWS X-Ray (tracingConfig.mode is Active).",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    tags=("lambda", "observability"),
    types=(aws.FUNCTION,),
    compliance=Control("Lambda.7"),
    remediation_steps=(
        "Set `tracing_config={\"mode\": \"Active\"}` on the Function and allow `xray:PutTraceSegments` and "
        "`xray:PutTelemetryRecords` to its role (the managed policy `AWSXRayDaemonWriteAccess`). At the "
        "remediate level the policy sets the mode to Active."
    ),
    guide=Guide(
        why="Without active tracing a slow or failing call cannot be followed across API Gateway, Lambda, "
        "DynamoDB and downstream services. `PassThrough` (and an unset mode) only traces requests that an "
        "upstream service already sampled. Remediation sets `tracingConfig` to `{\"mode\": \"Active\"}` and "
        "nothing else: the execution role must allow the X-Ray writes, or AWS rejects the function with "
        "\"The provided execution role does not have permissions to call PutTraceSegments on XRAY\".",
        links=(
            "https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html",
            "https://docs.aws.amazon.com/xray/latest/devguide/xray-services-lambda.html",
        ),
        failing='aws.lambda_.Function("fn", tracing_config={"mode": "PassThrough"}, **function_args)',
        compliant='aws.lambda_.Function("fn", tracing_config={"mode": "Active"}, **function_args)',
        unknowns=(("tracingConfig.mode", "neither judged nor remediated: not applicable, naming the property."),),
    ),
)


def check_tracing(r: ResourceContext) -> None:
    r.expect("tracingConfig.mode", "Active", TRACING_MODES,
             'requests are not traced end to end. Set tracing_config={"mode": "Active"}.')


def enable_tracing(r: ResourceContext) -> bool:
    mode = get(r.props, "tracingConfig.mode")
    if mode is UNKNOWN or mode == "Active":
        return False
    r.set("tracingConfig", {"mode": "Active"})
    return True


# --- cloudwatch-log-group-configure-retention ---------------------------------------------------------------

RETENTION = Meta(
    name="cloudwatch-log-group-configure-retention",
    description="A log group keeps its logs for an allowed, bounded number of days.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=("observability", "cost", "compliance"),
    types=(aws.LOG_GROUP,),
    compliance=Control("CloudWatch.16"),
    config={
        "minRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "default": 1,
            "description": "The shortest retention allowed, in days.",
        },
        "maxRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "default": 30,
            "description": "The longest retention allowed, in days.",
        },
        "defaultRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "default": 7,
            "description": "At the remediate level, the retention set on log groups that have none (or 0).",
        },
    },
    remediation_steps=(
        "Set `retention_in_days` on the LogGroup to one of AWS's allowed values (1, 3, 5, 7, 14, 30, 60, 90, "
        "...) within minRetentionDays-maxRetentionDays (1-30 by default); take it from stack config if "
        "environments differ. At the remediate level a missing or 0 retention is set to defaultRetentionDays."
    ),
    guide=Guide(
        why="A log group without retention (or with 0) keeps every log line forever: storage cost grows "
        "without bound and personal data outlives its purpose. CloudWatch accepts only a fixed list of "
        "values, so any other number fails the preview. Remediation fills in defaultRetentionDays only when "
        "retention is missing or 0; it never shortens or rounds an explicit value, because shortening "
        "retention deletes logs someone may have to keep, so an explicit out-of-range or disallowed value "
        "stays a violation for a person to decide. Remediation does nothing when defaultRetentionDays is "
        "itself not allowed or out of range.",
        aws_error="aws:cloudwatch/logGroup:LogGroup resource 'logs' has a problem: expected retention_in_days to be "
        "one of [0 1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653], got 45",
        links=(
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html",
            "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html",
        ),
        failing='aws.cloudwatch.LogGroup("logs", name=f"/aws/lambda/{function_name}")  # never expires',
        compliant='aws.cloudwatch.LogGroup("logs", name=f"/aws/lambda/{function_name}", retention_in_days=7)',
        unknowns=(("retentionInDays", "neither judged nor remediated: not applicable, naming the property."),),
    ),
)


def _allowed_in_range(days: int | None, config: Mapping[str, Any]) -> bool:
    if days is None or days not in ALLOWED_RETENTION_DAYS:
        return False
    low, high = integer(config.get("minRetentionDays")), integer(config.get("maxRetentionDays"))
    return (low is None or days >= low) and (high is None or days <= high)


def check_retention(r: ResourceContext) -> None:
    value = r.props.get("retentionInDays")
    days = integer(value)
    bounds = f"{describe(r.config.get('minRetentionDays'))}-{describe(r.config.get('maxRetentionDays'))}"
    if value is UNKNOWN:
        r.cannot_decide("retentionInDays is unknown at preview")
    elif value is None or days == 0:
        r.fail(f"retentionInDays is {describe(value)}, so the logs never expire. Set retention_in_days to an "
               f"allowed value within {bounds} days (minRetentionDays-maxRetentionDays).")
    elif days not in ALLOWED_RETENTION_DAYS:
        r.fail(f"retentionInDays is {describe(value)}, which CloudWatch does not accept; allowed values are "
               f"{', '.join(map(str, ALLOWED_RETENTION_DAYS))}. Pick one within {bounds} days.")
    elif not _allowed_in_range(days, r.config):
        r.fail(f"retentionInDays is {days}, outside {bounds} days (minRetentionDays-maxRetentionDays). Set "
               "retention_in_days to an allowed value within the range.")


def set_default_retention(r: ResourceContext) -> bool:
    value = r.props.get("retentionInDays")
    default = integer(r.config.get("defaultRetentionDays"))
    if not (value is None or integer(value) == 0) or not _allowed_in_range(default, r.config):
        return False
    r.set("retentionInDays", default)
    return True


# --- lambda-function-require-log-group ----------------------------------------------------------------------

LOG_GROUP = Meta(
    name="lambda-function-require-log-group",
    description="Each function logs to a log group that the stack creates and manages.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    tags=("lambda", "observability", "cost"),
    types=(aws.FUNCTION, aws.LOG_GROUP),
    remediation_steps=(
        "Create an `aws.cloudwatch.LogGroup` named `/aws/lambda/<function name>` with `retention_in_days` in "
        "the same stack, and make the Function depend on it (`depends_on=[log_group]`), or set "
        "`logging_config={\"log_format\": \"JSON\", \"log_group\": log_group.name}`."
    ),
    guide=Guide(
        why="When no log group exists, Lambda creates `/aws/lambda/<function name>` (or the group named in "
        "`logging_config`) on the first invocation, outside the stack: it never expires, carries no tags, "
        "survives `pulumi destroy`, and makes a later LogGroup of that name fail with 'already exists'. A "
        "function counts as covered when a LogGroup in the stack has the function's default name or the "
        "`logging_config.log_group` name, or when its `logging_config` is computed from a LogGroup of the "
        "stack. A custom `logging_config.log_group` replaces the default group, so only it counts. A group "
        "managed by another stack is a case for an exemption with a reason.",
        links=(LOG_GROUPS_DOC, LOGS_DOC),
        failing='fn = aws.lambda_.Function("fn", name=f"processor-{suffix}", **function_args)  # no log group',
        compliant='log_group = aws.cloudwatch.LogGroup("logs", name=f"/aws/lambda/processor-{suffix}",\n'
        "    retention_in_days=7)\n"
        'fn = aws.lambda_.Function("fn", name=f"processor-{suffix}",\n'
        '    logging_config={"log_format": "JSON", "log_group": log_group.name},\n'
        "    opts=pulumi.ResourceOptions(depends_on=[log_group]), **function_args)",
        unknowns=(
            ("loggingConfig", "computed from a LogGroup of the stack: covered. Unknown and computed from nothing "
             "(the provider fills it in at preview when the program does not set it): judged as the default "
             "group. Computed from anything else: the function is undecided, named in a not-applicable reason."),
            ("name", "of the function, with no custom group: undecided, naming the function."),
            ("LogGroup name", "computed from the function: counts as its group. Computed from anything else: "
             "functions without a matching group are undecided rather than reported."),
        ),
    ),
)


def check_log_groups(s: StackContext) -> None:
    names: set[str] = set()
    named_after: set[str] = set()  # functions that a LogGroup's name, unknown at preview, is computed from
    unnamed: list[str] = []
    for group in s.index.of_type(aws.LOG_GROUP):
        name = group.props.get("name")
        if isinstance(name, str):
            names.add(name)
        elif name is UNKNOWN:
            functions = {fn.urn for fn in s.index.property_sources(group, "name") if fn.type == aws.FUNCTION}
            named_after |= functions
            if not functions:
                unnamed.append(group.name)
    for function in s.index.of_type(aws.FUNCTION):
        _judge_function(s, function, names, named_after, unnamed)


def _judge_function(s: StackContext, function: Res, names: set[str], named_after: set[str],
                    unnamed: list[str]) -> None:
    sources = s.index.property_sources(function, "loggingConfig")
    if function.urn in named_after or any(source.type == aws.LOG_GROUP for source in sources):
        return
    custom = get(function.props, "loggingConfig.logGroup")
    if custom is UNKNOWN and sources:
        s.cannot_decide(f"Function {function.name}: loggingConfig.logGroup is unknown at preview and comes from no "
                        "LogGroup in this stack")
        return
    if isinstance(custom, str) and custom:
        target, where = custom, f"the group in loggingConfig.logGroup ({describe(custom)})"
    else:
        # Unset, or unknown without dependencies: the provider computes it at preview, as the default group.
        name = function.props.get("name")
        if not isinstance(name, str):
            s.cannot_decide(f"Function {function.name}: name is {describe(name)}, so its log group cannot be named")
            return
        target, where = f"/aws/lambda/{name}", "its default group /aws/lambda/<function name>"
    if target in names:
        return
    if unnamed:
        s.cannot_decide(f"Function {function.name}: no LogGroup has the name it logs to, and LogGroup "
                        f"{', '.join(unnamed)} has a name unknown at preview")
    else:
        s.fail(f"Function {function.name} logs to {where}, and no LogGroup in this stack has that name: Lambda "
               "creates it on first invocation, and its logs never expire. Add an aws.cloudwatch.LogGroup of that "
               "name with retention_in_days, and depends_on it.", function.urn)


POLICIES = (
    resource_policy(XRAY, check_tracing, enable_tracing),
    resource_policy(RETENTION, check_retention, set_default_retention),
    stack_policy(LOG_GROUP, check_log_groups),
)
