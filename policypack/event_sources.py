"""Event sources and failure handling: SQS visibility timeouts that fit the function, failed events kept."""

from __future__ import annotations

from typing import Any, Final

from . import aws
from .framework import EnforcementLevel, Guide, Meta, Res, Severity, StackContext, StackIndex, stack_policy
from .values import UNKNOWN, describe, get, number

SQS_DOC: Final = "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html"
ASYNC_DOC: Final = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"
AWS_DEFAULT_VISIBILITY_SECONDS: Final = 30
AWS_DEFAULT_TIMEOUT_SECONDS: Final = 3
ASYNC_SERVICES: Final = ("s3", "sns", "events", "iot", "logs")
STREAM_SOURCES: Final = (aws.TABLE, "aws:kinesis/stream:Stream", "aws:msk/cluster:Cluster",
                         "aws:msk/serverlessCluster:ServerlessCluster")


def arn_parts(value: Any) -> list[str]:
    return value.split(":", 5) if isinstance(value, str) and value.startswith("arn:") else []


def _linked(index: StackIndex, res: Res, prop: str, types: tuple[str, ...]) -> list[Res]:
    """The stack's resources of `types` that `res.<prop>` comes from, else the ones its literal ARN names."""
    found = [source for source in index.property_sources(res, prop) if source.type in types]
    if found:
        return found
    value = res.prop(prop)
    parts = arn_parts(value)
    if len(parts) != 6:
        return []
    name = aws.function_name_from_reference(value) if parts[2] == "lambda" else parts[5]
    return [match for resource_type in types for match in index.named(resource_type, name)] if name else []


# --- lambda-event-source-mapping-restrict-sqs-visibility-timeout --------------------------------------------

VISIBILITY = Meta(
    name="lambda-event-source-mapping-restrict-sqs-visibility-timeout",
    description="An SQS queue that feeds a function hides a message for at least the function's timeout times "
    "minVisibilityTimeoutRatio.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=("lambda", "sqs", "deployability", "reliability"),
    types=(aws.EVENT_SOURCE_MAPPING, aws.QUEUE, aws.FUNCTION),
    config={
        "minVisibilityTimeoutRatio": {
            "type": "number",
            "minimum": 1,
            "maximum": 100,
            "default": 1,
            "description": "The queue's visibilityTimeoutSeconds must be at least the function's timeout times "
            "this (AWS refuses the mapping below 1 and recommends 6).",
        },
    },
    remediation_steps=(
        "Set the queue's `visibility_timeout_seconds` to at least the function's `timeout` (AWS recommends six "
        "times the timeout, plus the batching window), or lower the function's timeout."
    ),
    guide=Guide(
        why="When a message stays hidden for less time than the function may take, SQS hands it to another "
        "invocation while the first is still working: duplicate processing. AWS refuses to create the mapping "
        "when the queue's visibility timeout is below the function's timeout, so the default ratio of 1 catches "
        "that deploy failure at preview; AWS recommends 6 (retries of throttled batches), which a team can "
        "require with `minVisibilityTimeoutRatio: 6`. Only mappings whose `eventSourceArn` is a queue of the "
        "stack (by dependency or literal ARN) and whose `functionName` is a function of the stack are judged; "
        "an unset `visibilityTimeoutSeconds` is SQS's default of 30 s and an unset `timeout` Lambda's 3 s.",
        aws_error="InvalidParameterValueException: Queue visibility timeout: 30 seconds is less than Function "
        "timeout: 60 seconds",
        links=(SQS_DOC, "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
               "sqs-visibility-timeout.html"),
        failing='queue = aws.sqs.Queue("jobs")  # 30 s visibility\n'
        'fn = aws.lambda_.Function("fn", timeout=60, **function_args)\n'
        'aws.lambda_.EventSourceMapping("jobs", event_source_arn=queue.arn, function_name=fn.name)',
        compliant='queue = aws.sqs.Queue("jobs", visibility_timeout_seconds=360)\n'
        'fn = aws.lambda_.Function("fn", timeout=60, **function_args)\n'
        'aws.lambda_.EventSourceMapping("jobs", event_source_arn=queue.arn, function_name=fn.name)',
        unknowns=(
            ("eventSourceArn, functionName", "followed through property dependencies; unknown and from nothing in "
             "the stack: the mapping is not judged."),
            ("visibilityTimeoutSeconds, timeout", "not applicable, naming the mapping."),
        ),
    ),
)


def _seconds(value: Any, default: int) -> float | None:
    return float(default) if value is None else number(value)


def check_visibility(s: StackContext) -> None:
    ratio = number(s.config.get("minVisibilityTimeoutRatio")) or 1.0
    for mapping in s.index.of_type(aws.EVENT_SOURCE_MAPPING):
        for queue in _linked(s.index, mapping, "eventSourceArn", (aws.QUEUE,)):
            for function in aws.functions_referenced(s.index, mapping):
                _judge_visibility(s, mapping, queue, function, ratio)


def _judge_visibility(s: StackContext, mapping: Res, queue: Res, function: Res, ratio: float) -> None:
    visibility = queue.prop("visibilityTimeoutSeconds")
    timeout = function.prop("timeout")
    if visibility is UNKNOWN or timeout is UNKNOWN:
        s.cannot_decide(f"EventSourceMapping {mapping.name}: the queue's visibilityTimeoutSeconds or the function's "
                        "timeout is unknown at preview")
        return
    hidden, runs = _seconds(visibility, AWS_DEFAULT_VISIBILITY_SECONDS), _seconds(timeout, AWS_DEFAULT_TIMEOUT_SECONDS)
    if hidden is None or runs is None or hidden < runs * ratio:
        s.fail(f"EventSourceMapping {mapping.name}: Queue {queue.name} has visibilityTimeoutSeconds "
               f"{describe(visibility) if visibility is not None else '30 (the default)'} and Function "
               f"{function.name} has timeout {describe(timeout) if timeout is not None else '3 (the default)'}; "
               f"the visibility timeout must be at least {describe(ratio)} x the timeout "
               "(minVisibilityTimeoutRatio). Raise visibility_timeout_seconds or lower the timeout.", mapping.urn)


# --- lambda-function-configure-failure-destination ----------------------------------------------------------

FAILURE_DESTINATION = Meta(
    name="lambda-function-configure-failure-destination",
    description="A function invoked asynchronously keeps failed events (a dead-letter queue or an on-failure "
    "destination), and a stream mapping has an on-failure destination.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    tags=("lambda", "reliability", "operations"),
    types=(aws.FUNCTION, aws.PERMISSION, aws.BUCKET_NOTIFICATION, aws.TOPIC_SUBSCRIPTION, aws.EVENT_TARGET,
           aws.EVENT_INVOKE_CONFIG, aws.EVENT_SOURCE_MAPPING),
    remediation_steps=(
        "For a function S3, SNS, EventBridge, IoT or CloudWatch Logs invoke, add an "
        "`aws.lambda_.FunctionEventInvokeConfig` with `destination_config={\"on_failure\": {\"destination\": "
        "queue.arn}}` (or set the Function's `dead_letter_config`); for a Kinesis, DynamoDB Streams or Kafka "
        "mapping set `destination_config={\"on_failure\": {\"destination_arn\": queue.arn}}`."
    ),
    guide=Guide(
        why="An asynchronous invocation that still fails after Lambda's two retries is dropped, and so is a "
        "stream batch that exhausts its retries: the event is lost without a trace. A dead-letter queue or an "
        "on-failure destination keeps it for inspection and replay. A function counts as invoked asynchronously "
        "when, in this stack, a Permission grants it to an `s3`, `sns`, `events`, `iot` or `logs` service "
        "principal, or an S3 BucketNotification, an SNS TopicSubscription (protocol `lambda`) or an EventBridge "
        "target points at it (by dependency or literal ARN). A mapping reads from a stream when its source is a "
        "Kinesis stream, a DynamoDB stream or Kafka (`topics` or `selfManagedEventSource` set). SQS mappings are "
        "not judged: a failed message returns to the queue and its redrive policy applies.",
        links=(ASYNC_DOC, "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html",
               "https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-errors.html"),
        failing='aws.lambda_.Permission("s3-invoke", action="lambda:InvokeFunction", function=fn.name,\n'
        '    principal="s3.amazonaws.com", source_arn=bucket.arn, source_account=account_id)',
        compliant='aws.lambda_.FunctionEventInvokeConfig("fn-failures", function_name=fn.name,\n'
        '    destination_config={"on_failure": {"destination": dlq.arn}})',
        unknowns=(
            ("deadLetterConfig.targetArn, onFailure destinations", "count as set."),
            ("references to the function", "followed through property dependencies, else by literal name or ARN."),
        ),
    ),
)


def _async_callers(index: StackIndex) -> dict[str, tuple[Res, str]]:
    """The functions invoked asynchronously, by URN, with the resource that invokes them."""
    callers: dict[str, tuple[Res, str]] = {}

    def add(functions: list[Res], caller: Res) -> None:
        for function in functions:
            callers.setdefault(function.urn, (function, f"{caller.type.rsplit(':', 1)[-1]} {caller.name}"))

    for permission in index.of_type(aws.PERMISSION):
        principal = permission.prop("principal")
        if isinstance(principal, str) and principal.split(".")[0] in ASYNC_SERVICES and principal.endswith(
                ".amazonaws.com"):
            add(aws.functions_referenced(index, permission, "function"), permission)
    for notification in index.of_type(aws.BUCKET_NOTIFICATION):
        linked = [res for res in index.property_sources(notification, "lambdaFunctions") if res.type == aws.FUNCTION]
        entries = notification.prop("lambdaFunctions")
        for entry in entries if isinstance(entries, list) else []:
            name = aws.function_name_from_reference(get(entry, "lambdaFunctionArn"))
            linked += index.named(aws.FUNCTION, name) if name else []
        add(linked, notification)
    for subscription in index.of_type(aws.TOPIC_SUBSCRIPTION):
        if subscription.prop("protocol") == "lambda":
            add(_linked(index, subscription, "endpoint", (aws.FUNCTION,)), subscription)
    for target in index.of_type(aws.EVENT_TARGET):
        add(_linked(index, target, "arn", (aws.FUNCTION,)), target)
    return callers


def _keeps_failures(function: Res, configured: set[str]) -> bool:
    dead_letter = get(function.prop("deadLetterConfig"), "targetArn")
    return dead_letter is UNKNOWN or bool(dead_letter) or function.urn in configured


def _configured(index: StackIndex) -> set[str]:
    """The functions a FunctionEventInvokeConfig gives an on-failure destination."""
    result: set[str] = set()
    for config in index.of_type(aws.EVENT_INVOKE_CONFIG):
        destination = get(config.prop("destinationConfig"), "onFailure.destination")
        if destination is UNKNOWN or destination:
            result |= {function.urn for function in aws.functions_referenced(index, config)}
    return result


def _reads_stream(index: StackIndex, mapping: Res) -> bool:
    if mapping.prop("topics") or mapping.prop("selfManagedEventSource"):
        return True
    if any(source.type in STREAM_SOURCES for source in index.property_sources(mapping, "eventSourceArn")):
        return True
    parts = arn_parts(mapping.prop("eventSourceArn"))
    return len(parts) == 6 and (parts[2] in ("kinesis", "kafka") or (parts[2] == "dynamodb" and "/stream/" in parts[5]))


def check_failure_destination(s: StackContext) -> None:
    configured = _configured(s.index)
    for function, caller in _async_callers(s.index).values():
        if not _keeps_failures(function, configured):
            s.fail(f"Function {function.name} is invoked asynchronously ({caller}) and keeps no failed events: "
                   "no deadLetterConfig.targetArn and no FunctionEventInvokeConfig with an onFailure destination. "
                   "Add one, so events that fail every retry are not lost.", function.urn)
    for mapping in s.index.of_type(aws.EVENT_SOURCE_MAPPING):
        destination = get(mapping.prop("destinationConfig"), "onFailure.destinationArn")
        if _reads_stream(s.index, mapping) and destination is not UNKNOWN and not destination:
            s.fail(f"EventSourceMapping {mapping.name} reads a stream and has no destinationConfig.onFailure: a batch "
                   "that exhausts its retries is dropped. Set destination_config.on_failure.destination_arn.",
                   mapping.urn)


POLICIES = (
    stack_policy(VISIBILITY, check_visibility),
    stack_policy(FAILURE_DESTINATION, check_failure_destination),
)
