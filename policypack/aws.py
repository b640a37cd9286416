"""AWS type tokens and the links between Lambda resources, matched as strings (never via pulumi_aws)."""

from __future__ import annotations

from typing import Any, Final

from .data import taggable
from .framework import Res, StackIndex
from .values import UNKNOWN, string_map

FUNCTION: Final = "aws:lambda/function:Function"
ALIAS: Final = "aws:lambda/alias:Alias"
PROVISIONED_CONCURRENCY: Final = "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"
EVENT_SOURCE_MAPPING: Final = "aws:lambda/eventSourceMapping:EventSourceMapping"
ROLE: Final = "aws:iam/role:Role"
POLICY: Final = "aws:iam/policy:Policy"
ROLE_POLICY: Final = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY: Final = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY: Final = "aws:iam/groupPolicy:GroupPolicy"
KMS_KEY: Final = "aws:kms/key:Key"
KMS_ALIAS: Final = "aws:kms/alias:Alias"
LOG_GROUP: Final = "aws:cloudwatch/logGroup:LogGroup"
TABLE: Final = "aws:dynamodb/table:Table"
QUEUE: Final = "aws:sqs/queue:Queue"
TOPIC: Final = "aws:sns/topic:Topic"
BUCKET: Final = "aws:s3/bucket:Bucket"
BUCKET_V2: Final = "aws:s3/bucketV2:BucketV2"
SECRET: Final = "aws:secretsmanager/secret:Secret"
PROVIDER: Final = "pulumi:providers:aws"
PERMISSION: Final = "aws:lambda/permission:Permission"
FUNCTION_URL: Final = "aws:lambda/functionUrl:FunctionUrl"
EVENT_INVOKE_CONFIG: Final = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
CODE_SIGNING_CONFIG: Final = "aws:lambda/codeSigningConfig:CodeSigningConfig"
ROLE_POLICY_ATTACHMENT: Final = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT: Final = "aws:iam/policyAttachment:PolicyAttachment"
USER_POLICY_ATTACHMENT: Final = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
GROUP_POLICY_ATTACHMENT: Final = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
ROLE_POLICY_ATTACHMENTS_EXCLUSIVE: Final = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
BUCKET_NOTIFICATION: Final = "aws:s3/bucketNotification:BucketNotification"
TOPIC_SUBSCRIPTION: Final = "aws:sns/topicSubscription:TopicSubscription"
EVENT_TARGET: Final = "aws:cloudwatch/eventTarget:EventTarget"

TAGGABLE: Final = taggable.TYPES  # generated from the pulumi_aws SDK (scripts/gen_taggable.py)

LATEST: Final = "$LATEST"
LATEST_PUBLISHED: Final = "$LATEST.PUBLISHED"


def function_name_from_reference(value: Any) -> str | None:
    """The function name in a `functionName` input: a name, `name:qualifier`, or a (partial) ARN."""
    if not isinstance(value, str) or not value:
        return None
    if value.startswith("arn:"):
        parts = value.split(":")
        return parts[6] if len(parts) >= 7 and parts[5] == "function" else None
    if ":function:" in value:
        return value.split(":function:", 1)[1].split(":", 1)[0] or None
    return value.split(":", 1)[0] or None


def functions_referenced(index: StackIndex, res: Res, prop: str = "functionName") -> list[Res]:
    """The stack's Functions that `res.<prop>` names: through property dependencies, else by literal name."""
    linked = [source for source in index.property_sources(res, prop) if source.type == FUNCTION]
    if linked:
        return linked
    name = function_name_from_reference(res.props.get(prop))
    return index.named(FUNCTION, name) if name else []


def is_published(function: Res) -> bool | None:
    """True or False for `publish`; None when it is unknown at preview."""
    publish = function.props.get("publish")
    if publish is UNKNOWN:
        return None
    return publish is True


def provider_default_tags(provider_props: Any) -> dict[str, Any]:
    """The provider's `defaultTags.tags`, given as an object or as a JSON string (as stack config arrives)."""
    if not isinstance(provider_props, dict):
        return {}
    default_tags = string_map(provider_props.get("defaultTags"))
    if not isinstance(default_tags, dict):
        return {}
    tags = string_map(default_tags.get("tags"))
    return tags if isinstance(tags, dict) else {}
