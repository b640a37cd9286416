"""IAM roles: no administrator managed policies attached, and trust policies that name who may assume them."""

from __future__ import annotations

import json
from typing import Any, Final

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from . import aws
from .framework import EnforcementLevel, Guide, Meta, ResourceContext, Severity, resource_policy, stack_config
from .iam import parse_document, values
from .patterns import linear
from .values import UNKNOWN, quote

PARTITION: Final = linear(r"^arn:[^:]*:")
ACCOUNT_ID: Final = linear(r"[0-9]{12}")
NARROWING_KEYS: Final = frozenset({"aws:principalorgid", "aws:sourceaccount", "aws:sourcearn", "sts:externalid"})
CROSS_ACCOUNT_KEYS: Final = frozenset({"sts:externalid", "aws:principalorgid", "aws:principalorgpaths"})
ATTACHMENTS: Final = {
    aws.ROLE_POLICY_ATTACHMENT: "policyArn",
    aws.POLICY_ATTACHMENT: "policyArn",
    aws.USER_POLICY_ATTACHMENT: "policyArn",
    aws.GROUP_POLICY_ATTACHMENT: "policyArn",
    aws.ROLE: "managedPolicyArns",
    aws.ROLE_POLICY_ATTACHMENTS_EXCLUSIVE: "policyArns",
}
ROLES_DOC: Final = "https://docs.aws.amazon.com/IAM/latest/UserGuide"

# --- iam-role-disallow-admin-managed-policies ---------------------------------------------------------------

ADMIN_POLICIES = Meta(
    name="iam-role-disallow-admin-managed-policies",
    description="No role, user or group gets an administrator AWS managed policy attached.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=("iam", "security", "least-privilege"),
    types=tuple(ATTACHMENTS),
    config={
        "disallowedManagedPolicies": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "default": ["arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/PowerUserAccess",
                        "arn:aws:iam::aws:policy/IAMFullAccess"],
            "description": "Managed policy ARNs that may not be attached; matched in any partition.",
        },
    },
    remediation_steps=(
        "Replace the attachment with a policy scoped to what the function does (an `aws.iam.RolePolicy` naming "
        "its table, queue and log group), or with a narrow AWS managed policy such as "
        "`AWSLambdaBasicExecutionRole`."
    ),
    guide=Guide(
        why="`AdministratorAccess`, `PowerUserAccess` and `IAMFullAccess` give a function's role (and anyone who "
        "can change its code) control of the whole account: `IAMFullAccess` is administrator in one step, since "
        "it can grant itself anything. The wildcard-action policy only reads documents written in the stack; "
        "this one catches the managed policies attached by ARN through `RolePolicyAttachment`, "
        "`PolicyAttachment`, `UserPolicyAttachment`, `GroupPolicyAttachment`, `Role.managedPolicyArns` and "
        "`RolePolicyAttachmentsExclusive`. ARNs match in any partition (`aws`, `aws-cn`, `aws-us-gov`).",
        links=(f"{ROLES_DOC}/access_policies_job-functions.html", f"{ROLES_DOC}/best-practices.html"),
        failing='aws.iam.RolePolicyAttachment("admin", role=role.name,\n'
        '    policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")',
        compliant='aws.iam.RolePolicyAttachment("logs", role=role.name,\n'
        '    policy_arn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")',
        unknowns=(("policyArn, managedPolicyArns, policyArns", "not applicable, naming the property (usually a "
                   "policy of the stack, which the IAM document policies judge)."),),
    ),
)


def _without_partition(arn: str) -> str:
    return PARTITION.sub("arn::", arn)


def check_admin_policies(r: ResourceContext) -> None:
    prop = ATTACHMENTS[r.type]
    attached = r.props.get(prop)
    if attached is UNKNOWN or (isinstance(attached, list) and UNKNOWN in attached):
        r.cannot_decide(f"{prop} is unknown at preview")
    disallowed = {_without_partition(arn) for arn in values(r.config.get("disallowedManagedPolicies"))
                  if isinstance(arn, str)}
    found = sorted({arn for arn in values(attached) if isinstance(arn, str) and _without_partition(arn) in disallowed})
    if found:
        r.fail(f"{prop} attaches {', '.join(quote(arn) for arn in found)}: administrator access to the account. "
               "Attach a policy scoped to what the principal does instead.")


# --- iam-role-restrict-trust-policy -------------------------------------------------------------------------

TRUST_POLICY = Meta(
    name="iam-role-restrict-trust-policy",
    description="A role's trust policy lets no one assume it without a narrowing condition, and no other account "
    "without an external id.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=("iam", "security", "access"),
    types=(aws.ROLE,),
    config={
        "requireExternalIdForCrossAccount": {
            "type": "boolean",
            "default": True,
            "description": "Require sts:ExternalId or an organization condition for AWS principals of other "
            "accounts.",
        },
        "accountId": {
            "type": "string",
            "pattern": r"^(\d{12})?$",
            "default": "",
            "description": "The stack's own account id (principals in it are not cross-account); empty reads "
            "the provider's allowedAccountIds.",
        },
    },
    remediation_steps=(
        "Name the principal that assumes the role (`{\"Service\": \"lambda.amazonaws.com\"}` for an execution "
        "role, an account or role ARN otherwise), never `*`; for a `*` principal add a condition on "
        "`aws:PrincipalOrgID`, `aws:SourceAccount` or `aws:SourceArn`, and for another account's principal a "
        "`sts:ExternalId` (or `aws:PrincipalOrgID`) condition."
    ),
    guide=Guide(
        why="A trust policy says who may become the role. `\"Principal\": \"*\"` (or `{\"AWS\": \"*\"}`, or an "
        "Allow with `NotPrincipal`) without a condition lets any AWS account in the world assume it. A role that "
        "another account assumes without `sts:ExternalId` is open to the confused-deputy problem (a vendor "
        "tricked into acting for someone else); an `aws:PrincipalOrgID` condition also counts. The stack's own "
        "account is not cross-account: a policy pack cannot see `getCallerIdentity`, so it is config `accountId`, "
        "else the aws provider's `allowedAccountIds` (from its inputs or the `aws:allowedAccountIds` stack "
        "config); with neither, every account principal is judged as another account's. Service and federated "
        "principals pass. Documents are read as JSON strings or objects, as the IAM document policies read them.",
        links=(f"{ROLES_DOC}/id_roles_create_for-user_externalid.html",
               f"{ROLES_DOC}/reference_policies_elements_principal.html"),
        failing='aws.iam.Role("vendor", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [\n'
        '    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},\n'
        '     "Action": "sts:AssumeRole"}]}))',
        compliant='aws.iam.Role("vendor", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [\n'
        '    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},\n'
        '     "Action": "sts:AssumeRole",\n'
        '     "Condition": {"StringEquals": {"sts:ExternalId": config.require_secret("externalId")}}}]}))',
        unknowns=(
            ("assumeRolePolicy", "the whole document unknown: the SDK's advisory at preview, the decision at "
             "`pulumi up`."),
            ("Principal, Condition", "not applicable, naming the statement."),
        ),
    ),
)


def _condition_keys(statement: dict[str, Any]) -> set[str] | None:
    condition = statement.get("Condition")
    if condition is UNKNOWN:
        return None
    keys: set[str] = set()
    for block in condition.values() if isinstance(condition, dict) else ():
        if block is UNKNOWN:
            return None
        if isinstance(block, dict):
            keys |= {key.lower() for key, value in block.items() if value not in (None, "", [])}
    return keys


def _own_accounts(r: ResourceContext) -> set[str]:
    configured = r.config.get("accountId")
    if isinstance(configured, str) and configured:
        return {configured}
    allowed = r.provider_props.get("allowedAccountIds") if isinstance(r.provider_props, dict) else None
    if allowed is None:
        allowed = stack_config().get("aws:allowedAccountIds")
    if isinstance(allowed, str):  # provider inputs and stack config arrive as JSON strings
        try:
            allowed = json.loads(allowed)
        except ValueError:
            allowed = [allowed]
    return {str(account) for account in values(allowed) if isinstance(account, str)}


def _account_of(principal: str) -> str | None:
    if ACCOUNT_ID.fullmatch(principal):
        return principal
    parts = principal.split(":")
    return parts[4] if len(parts) >= 6 and parts[0] == "arn" and ACCOUNT_ID.fullmatch(parts[4]) else None


def _judge_statement(r: ResourceContext, name: str, statement: dict[str, Any], own: set[str]) -> None:
    principal = statement.get("Principal")
    keys = _condition_keys(statement)
    aws_principals = values(principal.get("AWS")) if isinstance(principal, dict) else []
    if principal is UNKNOWN or UNKNOWN in aws_principals or keys is None:
        r.cannot_decide(f"assumeRolePolicy {name}: Principal or Condition is unknown at preview")
        return
    public = principal == "*" or "*" in aws_principals or "NotPrincipal" in statement
    if public and not keys & NARROWING_KEYS:
        r.fail(f"assumeRolePolicy {name} lets any principal assume the role (Principal \"*\" or NotPrincipal) "
               "without an aws:PrincipalOrgID, aws:SourceAccount, aws:SourceArn or sts:ExternalId condition. Name "
               "the principal, or add one of those conditions.")
        return
    if r.config.get("requireExternalIdForCrossAccount") is not True or keys & CROSS_ACCOUNT_KEYS:
        return
    others = sorted({account for p in aws_principals if isinstance(p, str) and (account := _account_of(p))
                     and account not in own})
    if others:
        r.fail(f"assumeRolePolicy {name} lets account {', '.join(quote(a) for a in others)} assume the role without "
               "an sts:ExternalId or aws:PrincipalOrgID condition. Add one, or set accountId when it is this "
               "stack's own account.")


def check_trust_policy(r: ResourceContext) -> None:
    raw = r.props.get("assumeRolePolicy")
    if raw is None or raw == "":
        return
    document = parse_document(raw)
    if document.unknown is not None:
        error = UnknownValueError(UNKNOWN_STRING_VALUE, ["assumeRolePolicy", *document.unknown])
        error.message = TRUST_POLICY.message(f"{error.message}; the document is judged at `pulumi up`.")
        raise error  # the framework lets it through; the SDK turns it into its preview advisory
    for text in document.malformed:
        r.fail(f"assumeRolePolicy {text}. Fix the trust policy document.")
    for text in document.undecided:
        r.cannot_decide(f"assumeRolePolicy {text}")
    own = _own_accounts(r)
    for name, statement in document.allow:
        _judge_statement(r, name, statement, own)


POLICIES = (
    resource_policy(ADMIN_POLICIES, check_admin_policies),
    resource_policy(TRUST_POLICY, check_trust_policy),
)
