"""A published version and an alias for every function: something to roll back to and a stable ARN."""

from __future__ import annotations

from . import aws
from .framework import EnforcementLevel, Guide, Meta, Severity, StackContext, stack_policy
from .values import describe

# --- lambda-function-require-published-alias ---------------------------------------------------------------

REQUIRE_PUBLISHED_ALIAS = Meta(
    name="lambda-function-require-published-alias",
    description="Each Lambda function is published and has at least one alias.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.HIGH,
    tags=("lambda", "deployability", "operations"),
    types=(aws.FUNCTION, aws.ALIAS),
    remediation_steps=(
        "Set `publish=True` on the Function and add an `aws.lambda_.Alias` whose `function_name` is `fn.name` "
        "and whose `function_version` is `fn.version`; export the version and the alias ARN."
    ),
    guide=Guide(
        why="Without a published version and an alias, every deploy overwrites `$LATEST` in place: nothing to "
        "roll back to, no gradual traffic shifting, and no stable ARN for callers, provisioned concurrency or "
        "metrics to pin to.",
        links=("https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html",),
        failing='fn = aws.lambda_.Function("fn", **function_args)  # no publish, no alias',
        compliant='fn = aws.lambda_.Function("fn", publish=True, **function_args)\n'
        'live = aws.lambda_.Alias("live", name="live", function_name=fn.name, function_version=fn.version)\n'
        'pulumi.export("version", fn.version)\npulumi.export("alias_arn", live.arn)',
        unknowns=(
            ("publish", "not applicable, naming the function; the alias is still required."),
            ("functionName", "of an Alias: matched through its property dependencies, else by literal name or ARN."),
        ),
    ),
)


def check_require_published_alias(s: StackContext) -> None:
    aliased = {fn.urn for alias in s.index.of_type(aws.ALIAS) for fn in aws.functions_referenced(s.index, alias)}
    for function in s.index.of_type(aws.FUNCTION):
        published = aws.is_published(function)
        problems = []
        if published is False:
            problems.append(f"is not published (publish is {describe(function.props.get('publish'))})")
        if function.urn not in aliased:
            problems.append("has no Alias in this stack")
        if published is None:
            s.cannot_decide(f"{function.name}: publish is unknown at preview")
        if problems:
            s.fail(f"Function {function.name} {' and '.join(problems)}. Set publish=True and add an "
                   "aws.lambda_.Alias with function_version=fn.version.", function.urn)


POLICIES = (stack_policy(REQUIRE_PUBLISHED_ALIAS, check_require_published_alias),)
