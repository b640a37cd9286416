"""Provisioned concurrency: only on a published version or an alias AWS accepts, and within the reservation."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Final

from . import aws
from .framework import (
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
from .reserved_concurrency import ACCOUNT_CONFIG, AWS_PROVISIONED_ERROR, reservable_pool
from .values import UNKNOWN, describe, integer, number

VERSION_NUMBER: Final = re.compile(r"^[0-9]+$")
ALIAS_NAME: Final = re.compile(r"^(?![0-9]+$)[A-Za-z0-9_-]{1,128}$")
AWS_UNPUBLISHED_ERROR: Final = "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
PUBLISH_FIX: Final = (
    "Publish the function (publish=True), create an aws.lambda_.Alias with function_version=fn.version, "
    "and set qualifier=alias.name."
)

# --- lambda-provisioned-concurrency-disallow-unpublished ---------------------------------------------------

DISALLOW_UNPUBLISHED = Meta(
    name="lambda-provisioned-concurrency-disallow-unpublished",
    description="Provisioned concurrency targets a published version or an alias, never $LATEST.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=("lambda", "concurrency", "deployability"),
    types=(aws.PROVISIONED_CONCURRENCY,),
    remediation_steps=(
        "Set `qualifier` of the ProvisionedConcurrencyConfig to an alias name (`alias.name`) or a published "
        "version number (`fn.version` of a Function with `publish=True`); never `$LATEST` or an empty string."
    ),
    guide=Guide(
        why="AWS keeps provisioned instances warm only for an immutable version; `$LATEST` can change at any "
        "deploy, so the API rejects it and the whole deployment fails.",
        aws_error=AWS_UNPUBLISHED_ERROR,
        links=("https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html",),
        failing='aws.lambda_.ProvisionedConcurrencyConfig("pc", function_name=fn.name, qualifier="$LATEST",\n'
        "    provisioned_concurrent_executions=5)",
        compliant='fn = aws.lambda_.Function("fn", publish=True, **function_args)\n'
        'live = aws.lambda_.Alias("live", name="live", function_name=fn.name, function_version=fn.version)\n'
        'aws.lambda_.ProvisionedConcurrencyConfig("pc", function_name=fn.name, qualifier=live.name,\n'
        "    provisioned_concurrent_executions=5)",
        unknowns=(
            ("qualifier", "not applicable here, naming qualifier: "
             "lambda-provisioned-concurrency-require-published-version follows it to the Function or Alias it came "
             "from."),
        ),
    ),
)


def check_disallow_unpublished(r: ResourceContext) -> None:
    qualifier = r.props.get("qualifier")
    if qualifier is UNKNOWN:
        r.cannot_decide(
            "qualifier is unknown at preview; lambda-provisioned-concurrency-require-published-version "
            "resolves it through its dependencies"
        )
        return
    if qualifier is None or (isinstance(qualifier, str) and not qualifier.strip()):
        r.fail(f"qualifier is {describe(qualifier) if qualifier is None else 'empty'}. {PUBLISH_FIX}")
    elif not isinstance(qualifier, str):
        r.fail(f"qualifier is {describe(qualifier)}, not a version number or alias name. {PUBLISH_FIX}")
    elif qualifier == aws.LATEST:
        r.fail(f'qualifier is "$LATEST": AWS answers "{AWS_UNPUBLISHED_ERROR}" {PUBLISH_FIX}')
    elif qualifier != aws.LATEST_PUBLISHED and not (VERSION_NUMBER.match(qualifier) or ALIAS_NAME.match(qualifier)):
        r.fail(
            f"qualifier {describe(qualifier)} is neither a version number nor a valid alias name "
            "(1-128 of A-Z, a-z, 0-9, '-', '_', not all digits)."
        )


# --- lambda-provisioned-concurrency-require-published-version -----------------------------------------------

REQUIRE_PUBLISHED_VERSION = Meta(
    name="lambda-provisioned-concurrency-require-published-version",
    description="The qualifier of provisioned concurrency resolves to a published version, through aliases "
    "and dependencies.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=("lambda", "concurrency", "deployability"),
    types=(aws.PROVISIONED_CONCURRENCY, aws.ALIAS, aws.FUNCTION),
    config={
        "allowLatestPublished": {
            "type": "boolean",
            "default": False,
            "description": "Accept the qualifier `$LATEST.PUBLISHED`.",
        },
    },
    remediation_steps=(
        "Give the Function `publish=True` so that `fn.version` is a published number, point the Alias's "
        "`function_version` at `fn.version` (not `$LATEST`), and use `alias.name` as the qualifier."
    ),
    guide=Guide(
        why="A qualifier taken from `fn.version` of an unpublished function, or an alias on `$LATEST`, is "
        "`$LATEST` by the time AWS sees it; preview cannot show the literal, so this policy follows the "
        "qualifier's dependencies to the Function it came from.",
        aws_error=AWS_UNPUBLISHED_ERROR,
        links=(
            "https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html",
        ),
        failing='fn = aws.lambda_.Function("fn", **function_args)  # publish not set\n'
        'aws.lambda_.ProvisionedConcurrencyConfig("pc", function_name=fn.name, qualifier=fn.version,\n'
        "    provisioned_concurrent_executions=5)",
        compliant='fn = aws.lambda_.Function("fn", publish=True, **function_args)\n'
        'live = aws.lambda_.Alias("live", name="live", function_name=fn.name, function_version=fn.version)\n'
        'aws.lambda_.ProvisionedConcurrencyConfig("pc", function_name=fn.name, qualifier=live.name,\n'
        "    provisioned_concurrent_executions=5)",
        unknowns=(
            ("qualifier", "followed through its property dependencies to the Function (then `publish` decides) or the "
             "Alias it came from; coming from neither, not applicable, naming the configuration."),
            ("functionVersion", "of an Alias: followed to the Function it came from; coming from none, not applicable, "
             "naming the alias."),
            ("publish", "of the Function reached: not applicable, naming the function."),
        ),
    ),
)


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)

    def add(self, other: Verdict) -> None:
        self.problems += other.problems
        self.undecided += other.undecided


class QualifierResolver:
    """Follows qualifiers to Aliases and Functions; each alias and each (function, alias name) judged once."""

    def __init__(self, s: StackContext) -> None:
        self.index = s.index
        self.aliases: dict[tuple[str, str], list[Res]] = defaultdict(list)
        for alias in s.index.of_type(aws.ALIAS):
            name = alias.physical_name
            if name is None:
                continue
            for function in aws.functions_referenced(s.index, alias):
                self.aliases[(function.urn, name)].append(alias)
        self._alias_verdicts: dict[str, Verdict] = {}
        self._group_verdicts: dict[tuple[str, str], Verdict] = {}

    def derived(self, config: Res) -> Verdict:
        verdict = Verdict()
        sources = [res for res in self.index.property_sources(config, "qualifier")
                   if res.type in (aws.FUNCTION, aws.ALIAS)]
        if not sources:
            verdict.undecided.append("qualifier is unknown at preview and comes from no Function or Alias in this "
                                     "stack")
        for source in sources:
            if source.type == aws.FUNCTION:
                verdict.add(self.function(source, f"qualifier comes from Function {source.name}"))
            else:
                verdict.add(self.alias(source))
        return verdict

    def named(self, config: Res, name: str) -> list[Verdict]:
        """One shared verdict per (function, alias name): many configs on one alias cost one judgement."""
        functions = aws.functions_referenced(self.index, config)
        keys = [(fn.urn, name) for fn in functions] or [("", name)]
        for key in keys:
            if key not in self._group_verdicts:
                aliases = self.aliases.get(key, []) if key[0] else self.index.named(aws.ALIAS, name)
                group = Verdict()
                for alias in aliases:
                    group.add(self.alias(alias))
                self._group_verdicts[key] = group
        return [self._group_verdicts[key] for key in keys]

    def alias(self, alias: Res) -> Verdict:
        if alias.urn not in self._alias_verdicts:
            self._alias_verdicts[alias.urn] = self._judge_alias(alias)
        return self._alias_verdicts[alias.urn]

    def _judge_alias(self, alias: Res) -> Verdict:
        verdict = Verdict()
        version = alias.props.get("functionVersion")
        if version == aws.LATEST:
            verdict.problems.append(f'qualifier is Alias {alias.name}, whose functionVersion is "$LATEST": AWS '
                                    f'answers "{AWS_UNPUBLISHED_ERROR}" {PUBLISH_FIX}')
        elif version is UNKNOWN:
            functions = [res for res in self.index.property_sources(alias, "functionVersion")
                         if res.type == aws.FUNCTION]
            if not functions:
                verdict.undecided.append(f"Alias {alias.name} has a functionVersion unknown at preview that comes "
                                         "from no Function in this stack")
            for function in functions:
                verdict.add(self.function(function, f"qualifier is Alias {alias.name}, which follows Function "
                                          f"{function.name}"))
        return verdict

    @staticmethod
    def function(function: Res, path: str) -> Verdict:
        published = aws.is_published(function)
        if published is None:
            return Verdict(undecided=[f"publish of Function {function.name} is unknown at preview"])
        if published:
            return Verdict()
        return Verdict(problems=[f"{path}, which is not published (publish is "
                                 f"{describe(function.props.get('publish'))}), so its version is \"$LATEST\": AWS "
                                 f'answers "{AWS_UNPUBLISHED_ERROR}" {PUBLISH_FIX}'])


def check_require_published_version(s: StackContext) -> None:
    allow_latest_published = s.config.get("allowLatestPublished") is True
    resolver = QualifierResolver(s)
    explained: set[int] = set()
    for config in s.index.of_type(aws.PROVISIONED_CONCURRENCY):
        qualifier = config.props.get("qualifier")
        if qualifier == aws.LATEST_PUBLISHED:
            if not allow_latest_published:
                s.fail('qualifier is "$LATEST.PUBLISHED", which this organization does not allow '
                       f"(allowLatestPublished is false). {PUBLISH_FIX}", config.urn)
            continue
        if qualifier is UNKNOWN:
            verdicts = [resolver.derived(config)]
        elif isinstance(qualifier, str) and qualifier != aws.LATEST and not VERSION_NUMBER.match(qualifier):
            verdicts = resolver.named(config, qualifier)
        else:
            continue
        for verdict in verdicts:
            for problem in dict.fromkeys(verdict.problems):
                s.fail(problem, config.urn)
            if verdict.undecided and id(verdict) not in explained:
                explained.add(id(verdict))
                s.cannot_decide(f"{config.name}: {'; '.join(dict.fromkeys(verdict.undecided))}")


# --- lambda-provisioned-concurrency-restrict-to-reserved ----------------------------------------------------

RESTRICT_TO_RESERVED = Meta(
    name="lambda-provisioned-concurrency-restrict-to-reserved",
    description="The provisioned concurrency of all of a function's versions and aliases fits within its "
    "reserved concurrency.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=("lambda", "concurrency", "deployability"),
    types=(aws.FUNCTION, aws.PROVISIONED_CONCURRENCY),
    config=ACCOUNT_CONFIG,
    remediation_steps=(
        "Keep the sum of `provisioned_concurrent_executions` over all of a function's "
        "ProvisionedConcurrencyConfigs at or below its `reserved_concurrent_executions` (or below the account's "
        "reservable pool when it has no reservation)."
    ),
    guide=Guide(
        why="Provisioned instances count against the function's reservation; AWS rejects a configuration that "
        "asks for more warm instances than the function may ever run.",
        aws_error=AWS_PROVISIONED_ERROR,
        links=("https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html",),
        failing='fn = aws.lambda_.Function("fn", publish=True, reserved_concurrent_executions=5, **function_args)\n'
        'aws.lambda_.ProvisionedConcurrencyConfig("pc", function_name=fn.name, qualifier=live.name,\n'
        "    provisioned_concurrent_executions=10)",
        compliant='fn = aws.lambda_.Function("fn", publish=True, reserved_concurrent_executions=10, **function_args)\n'
        'aws.lambda_.ProvisionedConcurrencyConfig("pc", function_name=fn.name, qualifier=live.name,\n'
        "    provisioned_concurrent_executions=5)",
        unknowns=(
            ("provisionedConcurrentExecutions", "the function it belongs to is not judged, and the configuration is "
             "named in a not-applicable reason."),
            ("reservedConcurrentExecutions", "not applicable, naming the function."),
            ("functionName", "matched through its property dependencies, else by literal name or ARN."),
        ),
    ),
)


def check_restrict_to_reserved(s: StackContext) -> None:
    provisioned: dict[str, float] = defaultdict(float)
    undecided: set[str] = set()
    for config in s.index.of_type(aws.PROVISIONED_CONCURRENCY):
        amount = config.props.get("provisionedConcurrentExecutions")
        for function in aws.functions_referenced(s.index, config):
            if amount is UNKNOWN:
                undecided.add(function.urn)
                s.cannot_decide(f"{config.name}: provisionedConcurrentExecutions is unknown at preview")
            else:
                provisioned[function.urn] += max(number(amount) or 0.0, 0.0)
    pool = reservable_pool(s.config)
    for function in s.index.of_type(aws.FUNCTION):
        total = provisioned.get(function.urn, 0.0)
        if total <= 0 or function.urn in undecided:
            continue
        reserved_value = function.props.get("reservedConcurrentExecutions")
        if reserved_value is UNKNOWN:
            s.cannot_decide(f"{function.name}: reservedConcurrentExecutions is unknown at preview")
            continue
        reserved = integer(reserved_value)
        if reserved is not None and reserved >= 0:
            if total > reserved:
                s.fail(f"Function {function.name} has {describe(total)} provisioned concurrent executions across "
                       f"its ProvisionedConcurrencyConfigs but reserves only {reserved}: AWS answers "
                       f'"{AWS_PROVISIONED_ERROR}". Lower the provisioned amount or raise the reservation.',
                       function.urn)
        elif total > pool:
            s.fail(f"Function {function.name} has {describe(total)} provisioned concurrent executions, more than "
                   f"the account's reservable pool of {pool}. Lower the provisioned amount.", function.urn)


POLICIES = (
    resource_policy(DISALLOW_UNPUBLISHED, check_disallow_unpublished),
    stack_policy(REQUIRE_PUBLISHED_VERSION, check_require_published_version),
    stack_policy(RESTRICT_TO_RESERVED, check_restrict_to_reserved),
)
