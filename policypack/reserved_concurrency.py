"""Reserved concurrency within the account's limits: per function and for the stack."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from . import aws
from .framework import (
    EnforcementLevel,
    Guide,
    Meta,
    ResourceContext,
    Severity,
    StackContext,
    resource_policy,
    stack_policy,
)
from .values import UNKNOWN, describe, integer, number

AWS_UNRESERVED_ERROR: Final = (
    "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
    "below its minimum value of [100]."
)
AWS_PROVISIONED_ERROR: Final = (
    "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"
)
LIMITS_DOC: Final = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html"

ACCOUNT_CONFIG: Final[dict[str, dict[str, Any]]] = {
    "accountConcurrencyLimit": {
        "type": "integer",
        "minimum": 1,
        "default": 1000,
        "description": "The account's concurrent executions quota in the region.",
    },
    "minimumUnreservedConcurrency": {
        "type": "integer",
        "minimum": 0,
        "default": 100,
        "description": "How many executions AWS keeps unreserved (100; 50 or 10 on reduced-quota accounts).",
    },
}
PER_FUNCTION_CONFIG: Final[dict[str, dict[str, Any]]] = {
    **ACCOUNT_CONFIG,
    "maxFunctionShare": {
        "type": "number",
        "exclusiveMinimum": 0,
        "maximum": 1,
        "default": 0.1,
        "description": "The largest share of the reservable pool one function may reserve.",
    },
    "allowZero": {
        "type": "boolean",
        "default": False,
        "description": "Accept a reservation of 0, which throttles every invocation.",
    },
}


def reservable_pool(config: Mapping[str, Any]) -> int:
    """accountConcurrencyLimit - minimumUnreservedConcurrency: what all reservations together may take."""
    limit = integer(config.get("accountConcurrencyLimit")) or 0
    unreserved = integer(config.get("minimumUnreservedConcurrency")) or 0
    return max(limit - unreserved, 0)


def per_function_cap(config: Mapping[str, Any]) -> int:
    share = number(config.get("maxFunctionShare")) or 0.0
    return math.floor(round(share * reservable_pool(config), 9))


# --- lambda-reserved-concurrency-restrict-per-function ------------------------------------------------------

RESTRICT_PER_FUNCTION = Meta(
    name="lambda-reserved-concurrency-restrict-per-function",
    description="A function's reserved concurrency leaves the account's unreserved minimum intact.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=("lambda", "concurrency", "deployability", "quota"),
    types=(aws.FUNCTION,),
    config=PER_FUNCTION_CONFIG,
    remediation_steps=(
        "Lower `reserved_concurrent_executions` to at most maxFunctionShare x (accountConcurrencyLimit - "
        "minimumUnreservedConcurrency), 90 by default, or leave it unset; take it from stack config so each "
        "account can size it. Raise the account quota and this policy's config together if you need more."
    ),
    guide=Guide(
        why="AWS keeps at least 100 executions (50 or 10 on reduced-quota accounts) unreserved for all other "
        "functions. A large reservation fails the deploy outright, or starves every other function in the "
        "account; 0 throttles every call.",
        aws_error=AWS_UNRESERVED_ERROR,
        links=(LIMITS_DOC, "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"),
        failing='aws.lambda_.Function("fn", reserved_concurrent_executions=100, **function_args)',
        compliant='config = pulumi.Config()\n'
        'aws.lambda_.Function("fn", reserved_concurrent_executions=config.get_int("reservedConcurrency") or 10,\n'
        "    **function_args)",
        unknowns=(
            ("reservedConcurrentExecutions", "not applicable, naming it; judged at `pulumi up`."),
        ),
    ),
)


def check_restrict_per_function(r: ResourceContext) -> None:
    value = r.props.get("reservedConcurrentExecutions")
    if value is None:
        return
    if value is UNKNOWN:
        r.cannot_decide("reservedConcurrentExecutions is unknown at preview; "
                        "lambda-reserved-concurrency-restrict-account-total counts it once it is known")
        return
    reserved = integer(value)
    cap = per_function_cap(r.config)
    if reserved is None or reserved < -1:
        r.fail(f"reservedConcurrentExecutions is {describe(value)}: it must be a whole number from 1 to {cap}, "
               "or -1 (unset).")
    elif reserved == 0 and r.config.get("allowZero") is not True:
        r.fail("reservedConcurrentExecutions is 0, which throttles every invocation. Remove it, or set allowZero "
               "in this policy's config if the function is meant to be switched off.")
    elif reserved > cap:
        r.fail(f"reservedConcurrentExecutions is {reserved}, above the per-function cap of {cap} "
               f"(maxFunctionShare {describe(r.config.get('maxFunctionShare'))} x (accountConcurrencyLimit "
               f"{describe(r.config.get('accountConcurrencyLimit'))} - minimumUnreservedConcurrency "
               f"{describe(r.config.get('minimumUnreservedConcurrency'))})). Set it to at most {cap}.")


# --- lambda-reserved-concurrency-restrict-account-total -----------------------------------------------------

RESTRICT_ACCOUNT_TOTAL = Meta(
    name="lambda-reserved-concurrency-restrict-account-total",
    description="The stack's reserved concurrency, with what is reserved elsewhere, fits the account's "
    "reservable pool.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=("lambda", "concurrency", "deployability", "quota"),
    types=(aws.FUNCTION,),
    config={
        **PER_FUNCTION_CONFIG,
        "reservedElsewhere": {
            "type": "integer",
            "minimum": 0,
            "default": 0,
            "description": "Concurrency already reserved by functions outside this stack in the same account.",
        },
    },
    remediation_steps=(
        "Lower the reservations of this stack's functions, or raise the account quota, until their sum plus "
        "reservedElsewhere is at most accountConcurrencyLimit - minimumUnreservedConcurrency."
    ),
    guide=Guide(
        why="Reservations add up across the account: each one may be small, and the sum still push the "
        "unreserved pool below AWS's minimum, so the last function deployed fails.",
        aws_error=AWS_UNRESERVED_ERROR,
        links=(LIMITS_DOC,),
        failing="for i in range(12):\n"
        '    aws.lambda_.Function(f"worker-{i}", reserved_concurrent_executions=80, **function_args)',
        compliant="for i in range(12):\n"
        '    aws.lambda_.Function(f"worker-{i}", reserved_concurrent_executions=50, **function_args)',
        unknowns=(
            ("reservedConcurrentExecutions", "left out of the sum, and the function is named in a not-applicable "
             "reason; the sum of the known ones is still judged."),
        ),
    ),
)


def check_restrict_account_total(s: StackContext) -> None:
    total = integer(s.config.get("reservedElsewhere")) or 0
    for function in s.index.of_type(aws.FUNCTION):
        value = function.props.get("reservedConcurrentExecutions")
        if value is UNKNOWN:
            s.cannot_decide(f"{function.name}: reservedConcurrentExecutions is unknown at preview")
            continue
        reserved = integer(value)
        if reserved is not None and reserved > 0:
            total += reserved
    pool = reservable_pool(s.config)
    if total > pool:
        s.fail(f"This stack reserves {total} concurrent executions in all (reservedElsewhere included), more "
               f"than the account's reservable pool of {pool} (accountConcurrencyLimit - "
               "minimumUnreservedConcurrency). Lower the reservations or raise the quota.")


POLICIES = (
    resource_policy(RESTRICT_PER_FUNCTION, check_restrict_per_function),
    stack_policy(RESTRICT_ACCOUNT_TOTAL, check_restrict_account_total),
)
