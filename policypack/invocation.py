"""Who may invoke a function: no public resource policy grants, function URLs behind IAM."""

from __future__ import annotations

from typing import Any, Final

from . import aws
from .framework import Control, EnforcementLevel, Guide, Meta, ResourceContext, Severity, resource_policy
from .values import UNKNOWN, get, quote

PERMISSIONS_DOC: Final = "https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html"
URLS_DOC: Final = "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"
PUBLIC_ACCESS: Final = Control("Lambda.1", (
    "AC-21", "AC-3", "AC-3(7)", "AC-4", "AC-4(21)", "AC-6", "SC-7", "SC-7(11)", "SC-7(16)", "SC-7(20)", "SC-7(21)",
    "SC-7(3)", "SC-7(4)", "SC-7(9)"))
AUTH_TYPES: Final = ("AWS_IAM", "NONE")

# --- lambda-permission-disallow-public-invocation -----------------------------------------------------------

PUBLIC_INVOCATION = Meta(
    name="lambda-permission-disallow-public-invocation",
    description="A Lambda Permission does not let anyone, or any account's use of an AWS service, invoke the "
    "function.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=("lambda", "security", "access"),
    types=(aws.PERMISSION,),
    compliance=PUBLIC_ACCESS,
    remediation_steps=(
        "Grant a specific account or service, never `*` alone: for a service principal (`events.amazonaws.com`, "
        "`sns.amazonaws.com`, ...) set `source_arn` to the rule, topic or API that calls the function, and for "
        "`s3.amazonaws.com` also `source_account` (bucket ARNs carry no account). A `*` principal needs "
        "`source_account`, `source_arn` or `principal_org_id`. A function URL with `function_url_auth_type` "
        "NONE is public: use AWS_IAM, or exempt it with the reason it must be public."
    ),
    guide=Guide(
        why="A Permission is a statement in the function's resource policy. With principal `*` and no condition "
        "anyone on the internet with the ARN can invoke the function (and run up its bill); with a service "
        "principal and no `sourceArn`, any account's bucket, topic or rule of that service can (the "
        "confused-deputy problem). S3 bucket ARNs carry no account, so `s3.amazonaws.com` needs `sourceAccount` "
        "as well. An `lambda:InvokeFunctionUrl` grant to `*` with `functionUrlAuthType` NONE is a public URL: a "
        "violation whatever the conditions, since a URL call has no source ARN; a URL that must be public is an "
        "exemption with its reason. An account id, an account's ARN or a role's ARN as principal passes. This is "
        "Security Hub's Lambda.1 (critical) at preview time.",
        links=(PERMISSIONS_DOC, URLS_DOC,
               "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"),
        failing='aws.lambda_.Permission("invoke", action="lambda:InvokeFunction", function=fn.name,\n'
        '    principal="events.amazonaws.com")',
        compliant='aws.lambda_.Permission("invoke", action="lambda:InvokeFunction", function=fn.name,\n'
        '    principal="events.amazonaws.com", source_arn=rule.arn)',
        unknowns=(
            ("principal", "not applicable, naming the property."),
            ("sourceArn, sourceAccount, principalOrgId", "count as set (they are usually another resource's "
             "ARN or the account of `getCallerIdentity`)."),
        ),
    ),
)


def _set(props: dict[str, Any], key: str) -> bool:
    value = props.get(key)
    return value is UNKNOWN or (isinstance(value, str) and value != "")


def check_public_invocation(r: ResourceContext) -> None:
    principal = r.props.get("principal")
    if principal is UNKNOWN:
        r.cannot_decide("principal is unknown at preview")
        return
    if not isinstance(principal, str):
        return
    narrowed = [key for key in ("sourceAccount", "sourceArn", "principalOrgId") if _set(r.props, key)]
    if principal == "*":
        if r.props.get("action") == "lambda:InvokeFunctionUrl" and r.props.get("functionUrlAuthType") == "NONE":
            r.fail('grants lambda:InvokeFunctionUrl to principal "*" with functionUrlAuthType "NONE": the function '
                   "URL is public. Use AWS_IAM, or exempt it with the reason it must be public.")
        elif not narrowed:
            r.fail('principal is "*" with no sourceAccount, sourceArn or principalOrgId: anyone can invoke the '
                   "function. Grant a specific account or service, or narrow it with one of those.")
        return
    if not principal.endswith(".amazonaws.com"):
        return
    missing = [key for key in ("sourceArn", "sourceAccount" if principal == "s3.amazonaws.com" else "")
               if key and not _set(r.props, key)]
    if missing:
        r.fail(f"principal is the service {quote(principal)} with no {' and no '.join(missing)}: that service acting "
               f"for any account may invoke the function. Set {' and '.join(missing)} to the caller.")


# --- lambda-function-url-require-iam-auth -------------------------------------------------------------------

URL_AUTH = Meta(
    name="lambda-function-url-require-iam-auth",
    description="A function URL requires IAM authorization and does not send credentials to any origin.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=("lambda", "security", "access"),
    types=(aws.FUNCTION_URL,),
    remediation_steps=(
        "Set `authorization_type=\"AWS_IAM\"` and sign requests with SigV4 (or front the function with API "
        "Gateway or CloudFront with origin access control). With CORS, list the allowed origins instead of `*` "
        "when `allow_credentials` is true. A URL meant to be public gets an exemption with its reason."
    ),
    guide=Guide(
        why="`authorizationType: NONE` makes the function callable by anyone who finds the URL, with no "
        "throttling or authentication before your code runs. CORS with `allowOrigins` containing `*` and "
        "`allowCredentials: true` lets any web page make credentialed calls from a visitor's browser. A public "
        "webhook or a public API that authenticates in the handler is a legitimate case: exempt that URL, with "
        "the reason, so the decision stays visible in every preview.",
        links=(URLS_DOC, "https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html"),
        failing='aws.lambda_.FunctionUrl("url", function_name=fn.name, authorization_type="NONE")',
        compliant='aws.lambda_.FunctionUrl("url", function_name=fn.name, authorization_type="AWS_IAM",\n'
        '    cors={"allow_origins": ["https://app.example.com"], "allow_credentials": True})',
        unknowns=(
            ("authorizationType", "not applicable, naming the property."),
            ("cors.allowOrigins, cors.allowCredentials", "not applicable, naming the property."),
        ),
    ),
)


def check_url_auth(r: ResourceContext) -> None:
    r.expect("authorizationType", "AWS_IAM", AUTH_TYPES, "anyone with the URL can invoke the function. Set "
             'authorization_type="AWS_IAM", or exempt a URL that must be public.')
    origins, credentials = get(r.props, "cors.allowOrigins"), get(r.props, "cors.allowCredentials")
    if credentials is UNKNOWN or (credentials is True and (origins is UNKNOWN or (
            isinstance(origins, list) and UNKNOWN in origins and "*" not in origins))):
        r.cannot_decide("cors.allowOrigins or cors.allowCredentials is unknown at preview")
    elif credentials is True and isinstance(origins, list) and "*" in origins:
        r.fail('cors.allowOrigins contains "*" while cors.allowCredentials is true: any web page can make '
               "credentialed calls. List the allowed origins.")


POLICIES = (
    resource_policy(PUBLIC_INVOCATION, check_public_invocation),
    resource_policy(URL_AUTH, check_url_auth),
)
