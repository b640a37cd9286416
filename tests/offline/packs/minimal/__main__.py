"""A tiny pack: one resource policy, one stack policy, one remediation, each with config."""

import os
from pathlib import Path

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

FUNCTION = "aws:lambda/function:Function"

if os.environ.get("OFFLINE_TEST_PIDFILE"):
    Path(os.environ["OFFLINE_TEST_PIDFILE"]).write_text(str(os.getpid()))


def memory(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if os.environ.get("OFFLINE_TEST_ANALYSED_DIR"):  # which resources this pack analysed, as it analyses them
        (Path(os.environ["OFFLINE_TEST_ANALYSED_DIR"]) / args.name).touch()
    if args.resource_type != FUNCTION:
        return
    limit = args.get_config()["maxMemoryMb"]
    size = args.props.get("memorySize", 128)
    if size > limit:
        report(f"memorySize is {size:g} MB, above the limit of {limit} MB.")


def kms_rotation(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == "aws:kms/key:Key" and args.props.get("enableKeyRotation") is not True:
        report("enableKeyRotation is not true.")


def kms_rotation_fix(args: ResourceValidationArgs):
    if args.resource_type == "aws:kms/key:Key" and args.props.get("enableKeyRotation") is not True:
        return {**args.props, "enableKeyRotation": True}
    return None


def function_kms(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # Reading an unknown value raises UnknownValueError in preview: the SDK turns it into an advisory.
    if args.resource_type == FUNCTION and not str(args.props.get("kmsKeyArn") or "").startswith("arn:aws:kms:"):
        report("kmsKeyArn is not a KMS key ARN.")


def explode(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.name == "explode":
        raise RuntimeError("the policy itself failed")


def log_groups(args: StackValidationArgs, report: ReportViolation) -> None:
    functions = [r for r in args.resources if r.resource_type == FUNCTION]
    groups = [r for r in args.resources if r.resource_type == "aws:cloudwatch/logGroup:LogGroup"]
    if len(groups) < len(functions) * args.get_config()["groupsPerFunction"]:
        for fn in functions:
            report("the function has no log group.", fn.urn)
    if args.get_config().get("reportOnStack"):
        report("reported without a URN.")


PolicyPack(
    name="offline-minimal",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="minimal-function-memory",
            description="Functions stay under a memory limit.",
            validate=memory,
            severity=Severity.MEDIUM,
            remediation_steps="Lower memorySize.",
            url="https://example.com/policies#minimal-function-memory",
            tags=["cost"],
            config_schema=PolicyConfigSchema(
                properties={"maxMemoryMb": {"type": "integer", "minimum": 128, "default": 512}},
            ),
        ),
        ResourceValidationPolicy(
            name="minimal-kms-rotation",
            description="KMS keys rotate.",
            validate=kms_rotation,
            remediate=kms_rotation_fix,
            severity=Severity.HIGH,
        ),
        ResourceValidationPolicy(
            name="minimal-function-kms",
            description="Functions name a KMS key.",
            validate=function_kms,
            enforcement_level=EnforcementLevel.ADVISORY,
            severity=Severity.LOW,
        ),
        ResourceValidationPolicy(
            name="minimal-explode",
            description="Raises on a resource named explode.",
            validate=explode,
            enforcement_level=EnforcementLevel.ADVISORY,
        ),
        StackValidationPolicy(
            name="minimal-stack-log-groups",
            description="Every function has a log group.",
            validate=log_groups,
            severity=Severity.CRITICAL,
            config_schema=PolicyConfigSchema(
                properties={
                    "groupsPerFunction": {"type": "integer", "minimum": 0, "default": 1},
                    "reportOnStack": {"type": "boolean", "default": False},
                },
            ),
        ),
    ],
)
