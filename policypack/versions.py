"""Published versions and aliases: provisioned concurrency only on something AWS accepts."""

from __future__ import annotations

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
from .patterns import linear
from .values import UNKNOWN, describe

VERSION_NUMBER: Final = linear(r"[0-9]+")
ALIAS_NAME: Final = linear(r"[A-Za-z0-9_-]{1,128}")
AWS_UNPUBLISHED_ERROR: Final = "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
PUBLISH_FIX: Final = (
    "Publish the function (publish=True), create an aws.lambda_.Alias with function_version=fn.version, "
    "and set qualifier=alias.name."
)

# --- lambda-provisioned-concurrency-disallow-unpublished ---------------------------------------------------

UNPUBLISHED = Meta(
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


def is_alias_name(name: str) -> bool:
    return ALIAS_NAME.fullmatch(name) is not None and not name.isdigit()


def check_qualifier(r: ResourceContext) -> None:
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
    elif qualifier != aws.LATEST_PUBLISHED and not (VERSION_NUMBER.fullmatch(qualifier) or is_alias_name(qualifier)):
        r.fail(
            f"qualifier {describe(qualifier)} is neither a version number nor a valid alias name "
            "(1-128 of A-Z, a-z, 0-9, '-', '_', not all digits)."
        )


# --- lambda-provisioned-concurrency-require-published-version -----------------------------------------------

PUBLISHED_VERSION = Meta(
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


def check_published_versions(s: StackContext) -> None:
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
        elif isinstance(qualifier, str) and qualifier != aws.LATEST and VERSION_NUMBER.fullmatch(qualifier) is None:
            verdicts = resolver.named(config, qualifier)
        else:
            continue
        for verdict in verdicts:
            for problem in dict.fromkeys(verdict.problems):
                s.fail(problem, config.urn)
            if verdict.undecided and id(verdict) not in explained:
                explained.add(id(verdict))
                s.cannot_decide(f"{config.name}: {'; '.join(dict.fromkeys(verdict.undecided))}")


# --- lambda-function-require-published-alias ---------------------------------------------------------------

PUBLISHED_ALIAS = Meta(
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


def check_published_alias(s: StackContext) -> None:
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


POLICIES = (
    resource_policy(UNPUBLISHED, check_qualifier),
    stack_policy(PUBLISHED_VERSION, check_published_versions),
    stack_policy(PUBLISHED_ALIAS, check_published_alias),
)
