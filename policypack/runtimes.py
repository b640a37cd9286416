"""Runtimes: none that AWS no longer lets you create functions with, none deprecated or about to be."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from . import aws
from .framework import Control, EnforcementLevel, Guide, Meta, ResourceContext, Severity, resource_policy
from .lambda_facts import RUNTIMES, SOURCE
from .values import UNKNOWN, integer, quote

RUNTIMES_DOC: Final = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
SUPPORTED_RUNTIMES: Final = Control("Lambda.2")
EVALUATION_DATE: Final = {
    "type": "string",
    "pattern": r"^(\d{4}-\d{2}-\d{2})?$",
    "default": "",
    "description": "The date the runtime dates are compared with (YYYY-MM-DD); empty means today.",
}
SHARED_GUIDE: Final = (
    f" The dates come from {SOURCE}, generated into `policypack/lambda_facts.py` by "
    "`scripts/generate_lambda_facts.py`; a test fails when they disagree with the installed cfn-lint. A "
    "runtime missing from that table (a new one, or a typo that AWS itself rejects) passes. Image functions "
    "(`packageType: Image`) have no runtime and pass."
)


def evaluation_date(config: Mapping[str, Any]) -> datetime.date | None:
    """The configured evaluation date, today when empty; None when it is not a date (a config error)."""
    raw = config.get("evaluationDate") or ""
    if not raw:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(str(raw))
    except ValueError:
        return None


def _lifecycle(r: ResourceContext) -> tuple[str, tuple[str | None, ...], datetime.date] | None:
    """The function's runtime, its lifecycle row and the evaluation date; None when there is nothing to judge."""
    package = r.props.get("packageType")
    runtime = r.props.get("runtime")
    if package == "Image" or runtime is None:
        return None
    if runtime is UNKNOWN:
        r.cannot_decide("runtime is unknown at preview")
        return None
    today = evaluation_date(r.config)
    if today is None:
        r.fail("config evaluationDate is not a valid date (YYYY-MM-DD), so the runtime cannot be judged. Fix the "
               "policy config.")
        return None
    row = RUNTIMES.get(runtime) if isinstance(runtime, str) else None
    return (runtime, row, today) if row else None


def _on_or_before(date: str | None, today: datetime.date) -> bool:
    return date is not None and datetime.date.fromisoformat(date) <= today


def _dates(runtime: str, row: tuple[str | None, ...], today: datetime.date) -> str:
    deprecated, create, update, successor = row
    since = "since" if _on_or_before(deprecated, today) else "on"
    parts = [f"runtime {quote(runtime)} is deprecated {since} {deprecated}"]
    parts.append(f"creating functions with it is blocked from {create}" if create else
                 "AWS has not announced when creating functions with it is blocked")
    parts.append(f"updating them from {update}" if update else "no date to block updates is announced")
    move = f"Move to {quote(successor)}, the newest runtime of its family" if successor else (
        "No newer runtime of its family is listed yet; plan the move")
    return f"{'; '.join(parts)}. {move}."


# --- lambda-function-disallow-blocked-runtime ---------------------------------------------------------------

BLOCKED = Meta(
    name="lambda-function-disallow-blocked-runtime",
    description="A function's runtime is not one that AWS no longer lets you create functions with.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=("lambda", "deployability", "security"),
    types=(aws.FUNCTION,),
    config={"evaluationDate": EVALUATION_DATE},
    compliance=SUPPORTED_RUNTIMES,
    remediation_steps=(
        "Set `runtime` to a supported runtime (the message names the newest of its family, e.g. `python3.13` or "
        "`nodejs24.x`), test the handler on it, and deploy. For a function that is being migrated, add an "
        "exemption with a reason and an expiry before the date updates are blocked."
    ),
    guide=Guide(
        why="Once AWS blocks creation for a runtime, `pulumi up` of a new function (a new stack, a replacement, "
        "a renamed function) fails; once it blocks updates, every code or configuration change fails too, and "
        "the runtime has had no security patches since its deprecation. The policy fails from the date creation "
        "is blocked, because the pack cannot tell at preview whether the function already exists; the message "
        "says when updates are (or were) blocked. A still-updatable legacy function is a case for an exemption "
        "that expires before that date." + SHARED_GUIDE,
        aws_error="InvalidParameterValueException: The runtime parameter of python3.7 is no longer supported for "
        "creating or updating AWS Lambda functions.",
        links=(RUNTIMES_DOC, "https://docs.aws.amazon.com/securityhub/latest/userguide/lambda-controls.html"),
        failing='aws.lambda_.Function("fn", runtime="python3.7", **function_args)',
        compliant='aws.lambda_.Function("fn", runtime="python3.13", **function_args)',
        unknowns=(("runtime", "not applicable, naming the property."),),
    ),
)


def check_blocked(r: ResourceContext) -> None:
    found = _lifecycle(r)
    if found is None:
        return
    runtime, row, today = found
    deprecated, create, update, successor = row
    if not _on_or_before(create, today):
        return
    blocked = f"updates are blocked too, since {update}" if _on_or_before(update, today) else (
        f"existing functions can be updated until {update}" if update else "no date to block updates is announced")
    move = f"Move to {quote(successor)}." if successor else "Move to a supported runtime."
    r.fail(f"runtime {quote(runtime)} can no longer be used to create functions: AWS blocks creation since {create} "
           f"(deprecated {deprecated}); {blocked}. {move}")


# --- lambda-function-disallow-deprecated-runtime ------------------------------------------------------------

DEPRECATED = Meta(
    name="lambda-function-disallow-deprecated-runtime",
    description="A function's runtime is not deprecated, and its deprecation is more than warnDaysBefore days away.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    tags=("lambda", "security", "operations"),
    types=(aws.FUNCTION,),
    config={
        "warnDaysBefore": {
            "type": "integer",
            "minimum": 0,
            "maximum": 3650,
            "default": 90,
            "description": "How many days before a runtime's deprecation date the policy starts to warn.",
        },
        "evaluationDate": EVALUATION_DATE,
    },
    compliance=SUPPORTED_RUNTIMES,
    remediation_steps=(
        "Move the function to the runtime the message names (the newest of its family) before the date creation "
        "is blocked: update `runtime`, rebuild native dependencies and layers, and test the handler on it."
    ),
    guide=Guide(
        why="A deprecated runtime gets no more security patches or AWS support, and some months later AWS blocks "
        "creating and then updating functions with it. Warning `warnDaysBefore` days ahead (90 by default) "
        "leaves a release cycle to migrate. The message names the runtime, its deprecation date, the dates "
        "creation and updates are blocked, and the newest runtime of the same family. A runtime whose creation "
        "is already blocked is reported by lambda-function-disallow-blocked-runtime instead, not by both."
        + SHARED_GUIDE,
        links=(RUNTIMES_DOC, "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"),
        failing='aws.lambda_.Function("fn", runtime="nodejs20.x", **function_args)',
        compliant='aws.lambda_.Function("fn", runtime="nodejs24.x", **function_args)',
        unknowns=(("runtime", "not applicable, naming the property."),),
    ),
)


def check_deprecated(r: ResourceContext) -> None:
    found = _lifecycle(r)
    if found is None:
        return
    runtime, row, today = found
    deprecated, create = row[0], row[1]
    days = integer(r.config.get("warnDaysBefore")) or 0
    if _on_or_before(create, today) or not _on_or_before(deprecated, today + datetime.timedelta(days=days)):
        return
    r.fail(_dates(runtime, row, today))


POLICIES = (
    resource_policy(BLOCKED, check_blocked),
    resource_policy(DEPRECATED, check_deprecated),
)
