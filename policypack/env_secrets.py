"""No secret in a Lambda function's environment variables: they are plain text to anyone who reads its config."""

from __future__ import annotations

import functools
from typing import Any, Final

from . import aws
from .data.secret_patterns import PATTERNS
from .framework import EnforcementLevel, Guide, Meta, ResourceContext, Severity, resource_policy
from .patterns import linear, linear_set
from .values import UNKNOWN, contains_unknown, get, quote

SECRET_NAME: Final = linear(r"(?i)KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|PRIVATE")
PUBLIC_KEY_NAME: Final = linear(r"(?i)PUBLI(?:C|SHABLE)_?KEY")
URL_PASSWORD: Final = linear(r"://[^/?#\s@:]*:([^/?#\s@]+)@")
REFERENCE: Final = linear(r"^(?:arn:[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]*:[0-9]*:\S+|\{\{resolve:\S+\}\})$")
SETTING: Final = linear(r"(?i)^(?:true|false|-?[0-9]{1,9}(?:\.[0-9]+)?)$")
DYNAMIC_REFERENCE: Final = "{{resolve:"
# Formats detect-secrets lacks (gitleaks' rule ids), and two the pack had that are wider than its detectors: every
# PEM kind (`ENCRYPTED PRIVATE KEY`), a URL with an empty user (`redis://:pass@host`).
EXTRA: Final = (
    ("pem", "Private Key", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----"),
    ("url", "Basic Auth Credentials", URL_PASSWORD.pattern),
    ("gcp-api-key", "Google API Key", r"(?:^|[^0-9A-Za-z_-])AIza[0-9A-Za-z_-]{35}(?:[^0-9A-Za-z_-]|$)"),
    ("github-fine-grained-pat", "GitHub Token", r"(?:^|[^0-9A-Za-z_])github_pat_[0-9A-Za-z_]{82}(?:[^0-9A-Za-z_]|$)"),
    ("npm-access-token", "npm access token", r"(?:^|[^0-9A-Za-z_])npm_[0-9A-Za-z]{36}(?:[^0-9A-Za-z_]|$)"),
)
LABELS: Final = {"AWS Access Key": "an AWS access key id", "Private Key": "a PEM private key",
                 "Basic Auth Credentials": "a URL with embedded credentials", "NPM tokens": "an npm access token",
                 "npm access token": "an npm access token"}

DISALLOW_SECRETS = Meta(
    name="lambda-function-disallow-plaintext-secrets",
    description="No Lambda environment variable holds a literal secret.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=("lambda", "secrets", "security"),
    types=(aws.FUNCTION,),
    remediation_steps=(
        "Move the secret to AWS Secrets Manager (or an SSM SecureString parameter), pass its ARN in the "
        "environment instead (e.g. `SIGNING_SECRET_ARN=secret.arn`), grant the execution role "
        "`secretsmanager:GetSecretValue` on that secret, and read the value at run time (cache it between "
        "invocations, e.g. with the Parameters and Secrets Lambda extension). Rotate any secret that was "
        "already deployed in plain text."
    ),
    guide=Guide(
        why="Environment variables are part of the function's configuration: anyone allowed "
        "`lambda:GetFunctionConfiguration` sees them decrypted, and they are copied into program source, "
        "state files and CI logs; the secret cannot be rotated without a redeploy. The policy flags a variable "
        "whose name contains KEY, SECRET, TOKEN, PASSWORD, PASSWD, CREDENTIAL or PRIVATE (any case) and holds "
        "a literal, and any variable whose value contains a token format that the detect-secrets scanner knows "
        "(AWS access key ids, Slack, GitHub, GitLab, Stripe, Twilio, SendGrid, npm, PyPI, OpenAI, Discord, "
        "Telegram, Mailchimp, Square, Artifactory and Azure storage keys, JWTs, private keys; generated into the "
        "pack from detect-secrets' own patterns) or one it lacks (Google API keys, GitHub fine-grained tokens, "
        "bare npm tokens, a PEM private key of any kind, a URL with a password: `scheme://user:pass@host`). "
        "Fixed-shape tokens count only as whole tokens, so a UUID, a git SHA or a digest under a neutral name "
        "passes. Not secrets: empty values, booleans and "
        "numbers of up to 9 digits (`TOKEN_TTL=3600`, `MAX_TOKENS=4096`), any ARN (`KMS_KEY_ARN`, a Secrets "
        "Manager or SSM parameter ARN), a `{{resolve:...}}` reference, and names with PUBLIC_KEY or "
        "PUBLISHABLE_KEY (a public key is not a secret; their values are still scanned for private keys and "
        "the other patterns). A value taken from a secret's `secret_string` (or a generated password) is "
        "flagged on update, once it is known: it would sit in the configuration in plain text all the same. "
        "Messages name the variable, never its value.",
        links=(
            "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-best-practices",
            "https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html",
        ),
        failing='aws.lambda_.Function("fn", environment=aws.lambda_.FunctionEnvironmentArgs(variables={\n'
        '    "SIGNING_SECRET": "s3cr3t-value",\n'
        '    "DATABASE_URL": "postgres://app:pw@db.internal:5432/app"}), **function_args)',
        compliant='secret = aws.secretsmanager.Secret("signing-secret")\n'
        'aws.iam.RolePolicy("read-secret", role=role.id, policy=secret.arn.apply(lambda arn: json.dumps({\n'
        '    "Version": "2012-10-17",\n'
        '    "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": arn}]})))\n'
        'aws.lambda_.Function("fn", role=role.arn, environment=aws.lambda_.FunctionEnvironmentArgs(variables={\n'
        '    "SIGNING_SECRET_ARN": secret.arn}), **function_args)\n'
        "# handler: boto3.client(\"secretsmanager\").get_secret_value(SecretId=os.environ[\"SIGNING_SECRET_ARN\"])",
        unknowns=(
            ("environment.variables", "not applicable with a reason naming it; checked on update."),
            ("environment.variables.<NAME>", "not a literal, so not a violation; unknown values under secret-like "
             "names are named in a not-applicable reason and checked on update, when they are known."),
        ),
    ),
)
SECRETS_FIX: Final = (
    "Keep the secret in AWS Secrets Manager, pass its ARN (e.g. a *_SECRET_ARN variable set to secret.arn) and "
    "read it at run time; rotate the exposed secret."
)


def is_secret_name(name: str) -> bool:
    return SECRET_NAME.search(PUBLIC_KEY_NAME.sub("", name)) is not None


def is_reference(value: str) -> bool:
    return REFERENCE.search(value.strip()) is not None


def _is_literal_secret(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float)):
        return False
    if isinstance(value, str):
        text = value.strip()
        return bool(text) and not is_reference(text) and SETTING.search(text) is None
    return True


@functools.cache
def _detectors() -> tuple[tuple[tuple[str, str, str], ...], Any]:
    rows = (*PATTERNS, *EXTRA)
    return rows, linear_set([pattern for _, _, pattern in rows])


def _label(kind: str) -> str:
    if kind in LABELS:
        return LABELS[kind]
    return kind if kind.endswith("s") else f"{'an' if kind[0] in 'AEIOU' else 'a'} {kind}"


def _url_password(value: str) -> bool:
    return any(not match.group(1).startswith(DYNAMIC_REFERENCE) for match in URL_PASSWORD.finditer(value))


def value_findings(value: str) -> list[str]:
    """The secret formats the value contains, whatever the variable is called: detect-secrets' and EXTRA."""
    rows, detectors = _detectors()
    found: list[str] = []
    for index in sorted(detectors.Match(value) or ()):
        name, kind, _ = rows[index]
        label = _label(kind)
        if label not in found and (name != "url" or _url_password(value)):
            found.append(label)
    return found


def secret_findings(name: str, value: Any) -> list[str]:
    """Why the variable `name` holds a literal secret; empty when it does not or its value is not yet known."""
    if contains_unknown(value):
        return []
    found = value_findings(value) if isinstance(value, str) else []
    if not found and is_secret_name(name) and _is_literal_secret(value):
        found.append("a literal value under a secret-like name")
    return found


def check_variables(r: ResourceContext) -> None:
    variables = get(r.props, "environment.variables")
    if variables is UNKNOWN:
        r.cannot_decide("environment.variables is unknown at preview; its values are checked once known")
        return
    if not isinstance(variables, dict):
        return
    unseen = []
    for name, value in variables.items():
        if contains_unknown(value) and is_secret_name(name):
            unseen.append(quote(name))
        found = secret_findings(name, value)
        if found:
            r.fail(f"Environment variable {quote(name)} holds {' and '.join(found)}. {SECRETS_FIX}")
    if unseen:
        r.cannot_decide(f"environment variables {', '.join(unseen)} have secret-like names and values unknown at "
                        "preview; they are checked once known")


POLICIES = (resource_policy(DISALLOW_SECRETS, check_variables),)
