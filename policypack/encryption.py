"""Customer managed KMS keys: for Lambda environment variables, rotated, and deletable only after a wait."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from . import aws
from .framework import Control, EnforcementLevel, Guide, Meta, ResourceContext, Severity, resource_policy
from .values import UNKNOWN, Unknown, describe, get, integer, is_true

AWS_MANAGED_ALIAS: Final = re.compile(r"(?:^|:)(alias/aws/[A-Za-z0-9/_-]*)")
ROTATION_EXEMPT_USAGES: Final = ("SIGN_VERIFY", "GENERATE_VERIFY_MAC")
ASYMMETRIC_OR_HMAC_SPEC: Final = re.compile(r"^(RSA_|ECC_|HMAC_|ML_DSA_|SM2)")
ROTATION_DOC: Final = "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html"
CMK_FIX: Final = (
    "Set kms_key_arn to a customer managed aws.kms.Key's arn and grant the execution role kms:Decrypt on it."
)

# --- lambda-function-require-cmk-encryption ----------------------------------------------------------------

FUNCTION_CMK = Meta(
    name="lambda-function-require-cmk-encryption",
    description="A Lambda function with environment variables encrypts them with a customer managed KMS key.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=("lambda", "encryption", "security"),
    types=(aws.FUNCTION,),
    remediation_steps=(
        "Create an `aws.kms.Key` (with `enable_key_rotation=True`), set the Function's `kms_key_arn` to "
        "`key.arn`, and allow the function's execution role `kms:Decrypt` on that key. Do not use an AWS "
        "managed key (`alias/aws/...`)."
    ),
    guide=Guide(
        why="Without `kmsKeyArn`, Lambda encrypts environment variables with the AWS managed key `aws/lambda`, "
        "whose key policy you cannot change: every principal in the account that may read the function's "
        "configuration gets the values decrypted, and you cannot restrict, audit per key, or revoke that. A "
        "customer managed key puts decryption under your key policy. Naming an AWS managed key "
        "(`alias/aws/lambda`) explicitly changes nothing, so it fails too. The execution role then needs "
        "`kms:Decrypt` on the key, or the function cannot start. A function without variables (no "
        "`environment`, or an empty map) needs no key. An ARN of a customer managed key or of a customer alias "
        "passes; an AWS managed key given by its key id ARN cannot be told apart from a customer key here.",
        links=(
            "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html",
            "https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-mgmt",
        ),
        failing='aws.lambda_.Function("fn", environment=aws.lambda_.FunctionEnvironmentArgs(\n'
        '    variables={"TABLE_NAME": table.name}), **function_args)',
        compliant='key = aws.kms.Key("fn-key", enable_key_rotation=True, deletion_window_in_days=30)\n'
        'aws.iam.RolePolicy("fn-decrypt", role=role.id, policy=key.arn.apply(lambda arn: json.dumps({\n'
        '    "Version": "2012-10-17",\n'
        '    "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": arn}]})))\n'
        'aws.lambda_.Function("fn", role=role.arn, kms_key_arn=key.arn,\n'
        '    environment=aws.lambda_.FunctionEnvironmentArgs(variables={"TABLE_NAME": table.name}),\n'
        "    **function_args)",
        unknowns=(
            ("kmsKeyArn", "counts as set: it is the ARN of a key created in the stack."),
            ("environment.variables", "with no customer managed key set, the policy says it cannot decide yet "
             "(not applicable, naming the property) and decides on update; a known map whose values are "
             "unknown is still non-empty."),
        ),
    ),
)


def _has_variables(variables: Any) -> bool:
    return variables is UNKNOWN or bool(variables)


def check_function_key(r: ResourceContext) -> None:
    variables = get(r.props, "environment.variables")
    key = r.props.get("kmsKeyArn")
    if not _has_variables(variables) or key is UNKNOWN:
        return
    if key is None or (isinstance(key, str) and not key.strip()):
        problem = "kmsKeyArn is not set"
    elif not isinstance(key, str):
        problem = f"kmsKeyArn is {describe(key)}, not a KMS key ARN"
    elif AWS_MANAGED_ALIAS.search(key):
        problem = "kmsKeyArn names an AWS managed key (an alias under alias/aws/)"
    else:
        return
    if variables is UNKNOWN:
        r.cannot_decide(f"environment.variables is unknown at preview and {problem}; decided once the variables "
                        "are known")
    else:
        count = len(variables) if isinstance(variables, dict) else 1
        r.fail(f"environment.variables holds {count} variable(s) but {problem}: without a customer managed key, "
               f"Lambda encrypts them with an AWS managed key whose key policy you cannot restrict. {CMK_FIX}")


# --- kms-key-enable-rotation -------------------------------------------------------------------------------

KEY_ROTATION = Meta(
    name="kms-key-enable-rotation",
    description="Symmetric encryption KMS keys rotate automatically and keep a deletion window of 7-30 days.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=("kms", "encryption", "security"),
    types=(aws.KMS_KEY,),
    compliance=Control("KMS.4"),
    remediation_steps=(
        "Set `enable_key_rotation=True` on every symmetric encryption `aws.kms.Key` (the default key usage and "
        "spec). Keep `deletion_window_in_days` between 7 and 30 (or leave it unset: 30), and "
        "`rotation_period_in_days`, if set, between 90 and 2560. At the remediate level the policy turns "
        "rotation on; it never changes a deletion window."
    ),
    guide=Guide(
        why="A key that never rotates keeps encrypting with the same material for years, so one leak exposes "
        "everything it ever protected; automatic rotation replaces the material yearly (or every "
        "`rotationPeriodInDays`, 90-2560) while old ciphertext stays readable. AWS can rotate only symmetric "
        "encryption keys with material it generated: asymmetric (`RSA_*`, `ECC_*`, `ML_DSA_*`, `SM2`) and "
        "HMAC (`HMAC_*`) specs, `SIGN_VERIFY` and `GENERATE_VERIFY_MAC` usages, and keys in a custom key "
        "store (`customKeyStoreId` set) are exempt. Imported key material (`aws.kms.ExternalKey`) is a "
        "different resource type and not checked. KMS accepts a deletion window of 7 to 30 whole days only; a "
        "short window leaves little time to notice and cancel an accidental deletion, which makes everything "
        "encrypted under the key unreadable for good. `rotationPeriodInDays`, when set, must be a whole number "
        "from 90 to 2560, or the deploy fails. The bounds are AWS's, so they are not configurable.",
        links=(
            ROTATION_DOC,
            "https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html",
            "https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-choose-key-spec.html",
        ),
        failing='aws.kms.Key("key", deletion_window_in_days=5)',
        compliant='aws.kms.Key("key", enable_key_rotation=True, deletion_window_in_days=30)\n'
        'aws.kms.Key("signing", key_usage="SIGN_VERIFY", customer_master_key_spec="ECC_NIST_P256",\n'
        "    deletion_window_in_days=30)  # asymmetric: AWS cannot rotate it",
        unknowns=(
            ("enableKeyRotation", "not applicable with a reason naming it; decided on update."),
            ("keyUsage, customerMasterKeySpec", "decided only when rotation is not already on: not applicable "
             "with a reason; the remediation leaves such a key alone."),
            ("customKeyStoreId", "counts as set: the key lives in a custom key store and is exempt."),
            ("deletionWindowInDays, rotationPeriodInDays", "not applicable with a reason naming it."),
        ),
    ),
)


def rotation_exemption(props: Mapping[str, Any]) -> str | Unknown | None:
    """Why AWS cannot rotate this key; None when it can, UNKNOWN when that depends on a value unknown at preview."""
    usage, spec, store = props.get("keyUsage"), props.get("customerMasterKeySpec"), props.get("customKeyStoreId")
    if usage in ROTATION_EXEMPT_USAGES:
        return f"keyUsage is {usage}"
    if isinstance(spec, str) and ASYMMETRIC_OR_HMAC_SPEC.match(spec):
        return f"customerMasterKeySpec is {describe(spec)}"
    if store is UNKNOWN or (isinstance(store, str) and store.strip()):
        return "the key lives in a custom key store"
    if usage is UNKNOWN or spec is UNKNOWN:
        return UNKNOWN
    return None


def _check_days(r: ResourceContext, prop: str, low: int, high: int) -> None:
    value = r.props.get(prop)
    days = integer(value)
    if value is UNKNOWN:
        r.cannot_decide(f"{prop} is unknown at preview")
    elif value is not None and (days is None or not low <= days <= high):
        r.fail(f"{prop} is {describe(value)}: KMS accepts a whole number of days from {low} to {high}. "
               f"Set it within {low}-{high}, or leave it unset.")


def check_key(r: ResourceContext) -> None:
    exemption = rotation_exemption(r.props)
    rotation = r.props.get("enableKeyRotation")
    if exemption is UNKNOWN and not is_true(rotation):
        r.cannot_decide("keyUsage or customerMasterKeySpec is unknown at preview, so whether the key must "
                        "rotate is decided once it is known")
    elif exemption is None and rotation is UNKNOWN:
        r.cannot_decide("enableKeyRotation is unknown at preview")
    elif exemption is None and not is_true(rotation):
        r.fail(f"enableKeyRotation is {describe(rotation)} on a symmetric encryption key, so its key material "
               "never changes. Set enable_key_rotation=True.")
    _check_days(r, "deletionWindowInDays", 7, 30)
    _check_days(r, "rotationPeriodInDays", 90, 2560)


def enable_rotation(r: ResourceContext) -> bool:
    rotation = r.props.get("enableKeyRotation")
    if rotation_exemption(r.props) is not None or rotation is UNKNOWN or is_true(rotation):
        return False
    r.set("enableKeyRotation", True)
    return True


# --- cloudwatch-log-group-require-kms-encryption ------------------------------------------------------------

LOG_GROUP_KMS = Meta(
    name="cloudwatch-log-group-require-kms-encryption",
    description="A CloudWatch log group is encrypted with a KMS key given by its key ARN.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    tags=("cloudwatch", "encryption", "security"),
    types=(aws.LOG_GROUP,),
    remediation_steps=(
        "Set the LogGroup's `kms_key_id` to a customer managed `aws.kms.Key`'s `arn` (not an alias), and allow "
        "`logs.<region>.amazonaws.com` to use the key in its key policy, with a "
        "`kms:EncryptionContext:aws:logs:arn` condition naming the group."
    ),
    guide=Guide(
        why="Function logs carry request payloads, identifiers and error details. CloudWatch Logs always encrypts "
        "at rest, but only a customer managed key puts reading them under a key policy you control and audit, "
        "and lets you revoke access by disabling the key. CloudWatch Logs takes only a key ARN: an alias name or "
        "an alias ARN is rejected at deploy time, so both fail here. The key policy must allow the CloudWatch "
        "Logs service principal, or creating the group fails.",
        aws_error="InvalidParameterException: Specified KMS key is not a valid key ARN",
        links=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",),
        failing='aws.cloudwatch.LogGroup("logs", name="/aws/lambda/fn", retention_in_days=7)',
        compliant='aws.cloudwatch.LogGroup("logs", name="/aws/lambda/fn", retention_in_days=7,\n'
        "    kms_key_id=key.arn)",
        unknowns=(("kmsKeyId", "counts as set: it is the ARN of a key created in the stack."),),
    ),
)


def check_log_group_key(r: ResourceContext) -> None:
    key = r.props.get("kmsKeyId")
    if key is UNKNOWN:
        return
    if key in (None, ""):
        r.fail("kmsKeyId is not set: the log group is not encrypted with a key you control. Set kms_key_id to a "
               "customer managed key's ARN.")
    elif not isinstance(key, str) or not re.fullmatch(r"arn:[^:]+:kms:[^:]+:\d{12}:key/.+", key):
        r.fail(f"kmsKeyId is {describe(key)}, not the ARN of a KMS key (arn:...:kms:<region>:<account>:key/<id>): "
               "CloudWatch Logs rejects alias names and alias ARNs. Use the key's arn.")


POLICIES = (
    resource_policy(FUNCTION_CMK, check_function_key),
    resource_policy(KEY_ROTATION, check_key, enable_rotation),
    resource_policy(LOG_GROUP_KMS, check_log_group_key),
)
