"""What the AWS provider would say about a resource or an invoke, in wire form, without AWS.

Pure functions over wire values (see `wire`), used by the capture child; no Pulumi import here.
"""

from __future__ import annotations

import hashlib
import json
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from .wire import UNKNOWN, Wire, contains_unknown, is_known, plain_string, unwrap

ACCOUNT_ID: Final = "123456789012"
DEFAULT_REGION: Final = "us-east-1"
POLICY_VERSION: Final = "2012-10-17"


@dataclass(frozen=True)
class Autoname:
    """How pulumi-aws proposes a physical name when the program gives none."""

    prop: str = "name"
    prefix: str = ""
    lowercase: bool = False
    fifo: bool = False


AUTONAMES: Final[Mapping[str, Autoname]] = {
    "aws:lambda/function:Function": Autoname(),
    "aws:lambda/alias:Alias": Autoname(),
    "aws:iam/role:Role": Autoname(),
    "aws:iam/policy:Policy": Autoname(),
    "aws:iam/rolePolicy:RolePolicy": Autoname(),
    "aws:iam/userPolicy:UserPolicy": Autoname(),
    "aws:iam/groupPolicy:GroupPolicy": Autoname(),
    "aws:iam/user:User": Autoname(),
    "aws:iam/group:Group": Autoname(),
    "aws:iam/instanceProfile:InstanceProfile": Autoname(),
    "aws:dynamodb/table:Table": Autoname(),
    "aws:sqs/queue:Queue": Autoname(fifo=True),
    "aws:sns/topic:Topic": Autoname(fifo=True),
    "aws:cloudwatch/logGroup:LogGroup": Autoname(),
    "aws:cloudwatch/eventRule:EventRule": Autoname(),
    "aws:kms/alias:Alias": Autoname(prefix="alias/"),
    "aws:secretsmanager/secret:Secret": Autoname(),
    "aws:sfn/stateMachine:StateMachine": Autoname(),
    "aws:s3/bucket:Bucket": Autoname(prop="bucket", lowercase=True),
    "aws:s3/bucketV2:BucketV2": Autoname(prop="bucket", lowercase=True),
}

# Types without a `tags` input in this list still get `tagsAll` when the program sets `tags`.
TAGGABLE: Final = frozenset(
    {
        "aws:lambda/function:Function",
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "aws:iam/role:Role",
        "aws:iam/policy:Policy",
        "aws:kms/key:Key",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:dynamodb/table:Table",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:sqs/queue:Queue",
        "aws:sns/topic:Topic",
        "aws:secretsmanager/secret:Secret",
    }
)

# Terraform schema defaults: known in a plan, so present in outputs in both modes.
OUTPUT_DEFAULTS: Final[Mapping[str, Mapping[str, Wire]]] = {
    "aws:lambda/function:Function": {
        "memorySize": 128.0,
        "timeout": 3.0,
        "reservedConcurrentExecutions": -1.0,
        "publish": False,
        "packageType": "Zip",
        "skipDestroy": False,
    },
    "aws:iam/role:Role": {"path": "/", "maxSessionDuration": 3600.0, "forceDetachPolicies": False},
    "aws:iam/policy:Policy": {"path": "/"},
    "aws:kms/key:Key": {
        "keyUsage": "ENCRYPT_DECRYPT",
        "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "isEnabled": True,
        "enableKeyRotation": False,
        "bypassPolicyLockoutSafetyCheck": False,
    },
    "aws:cloudwatch/logGroup:LogGroup": {"retentionInDays": 0.0, "skipDestroy": False, "logGroupClass": "STANDARD"},
    "aws:dynamodb/table:Table": {"billingMode": "PROVISIONED"},
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": {"skipDestroy": False},
}


@dataclass(frozen=True)
class Env:
    """Where a resource lives: its region, and the tags its provider adds."""

    region: str = DEFAULT_REGION
    account: str = ACCOUNT_ID
    default_tags: Wire = None

    @property
    def partition(self) -> str:
        return partition_of(self.region)


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def short_hash(seed: str, length: int = 7) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def fake_uuid(seed: str) -> str:
    return str(uuid.UUID(bytes=hashlib.sha256(seed.encode()).digest()[:16], version=4))


def autoname(rule: Autoname, logical_name: str, inputs: Mapping[str, Wire], seed: str) -> str | None:
    """The physical name pulumi-aws's Check adds to the inputs, or None when the program set one."""
    if rule.prop in inputs or f"{rule.prop}Prefix" in inputs:
        return None
    name = f"{rule.prefix}{logical_name}-{short_hash(seed)}"
    if rule.lowercase:
        name = name.lower()
    if rule.fifo and unwrap(inputs.get("fifoQueue", inputs.get("fifoTopic"))) is True:
        name += ".fifo"
    return name


def prefixed_name(prefix: str, seed: str) -> str:
    """Terraform's `PrefixedUniqueId`: the prefix, a timestamp and a counter."""
    return f"{prefix}20250101000000{int(short_hash(seed, 10), 16) % 10**12:012d}"


def provider_default_tags(provider_inputs: Mapping[str, Wire]) -> Wire:
    """The `tags` of a provider's `defaultTags` (a JSON string or an object), UNKNOWN, or None."""
    value = unwrap(provider_inputs.get("defaultTags"))
    if value is None:
        return None
    if contains_unknown(value):
        return UNKNOWN
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    tags = value.get("tags") if isinstance(value, Mapping) else None
    return dict(tags) if isinstance(tags, Mapping) else None


def tags_all(inputs: Mapping[str, Wire], default_tags: Wire) -> Wire:
    tags = unwrap(inputs.get("tags"))
    if contains_unknown(tags) or default_tags == UNKNOWN:
        return UNKNOWN
    merged: dict[str, Wire] = dict(default_tags) if isinstance(default_tags, Mapping) else {}
    if isinstance(tags, Mapping):
        merged.update(tags)
    return merged


@dataclass(frozen=True)
class Resource:
    type: str
    logical_name: str
    inputs: Mapping[str, Wire]
    env: Env
    seed: str

    def text(self, key: str) -> str | None:
        return plain_string(self.inputs.get(key))

    @property
    def name(self) -> str:
        name = self.text("name") or self.text("bucket")
        if name:
            return name
        prefix = self.text("namePrefix")
        return (
            prefixed_name(prefix, self.seed) if prefix is not None else f"{self.logical_name}-{short_hash(self.seed)}"
        )

    def arn(self, service: str, resource: str, regional: bool = True) -> str:
        region = self.env.region if regional else ""
        account = self.env.account if service != "s3" else ""
        return f"arn:{self.env.partition}:{service}:{region}:{account}:{resource}"


Computed = tuple[str, dict[str, Wire]]


def _function(r: Resource) -> Computed:
    arn = r.arn("lambda", f"function:{r.name}")
    version = "1" if unwrap(r.inputs.get("publish")) is True else "$LATEST"
    invoke = f"arn:{r.env.partition}:apigateway:{r.env.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    computed: dict[str, Wire] = {
        "arn": arn,
        "invokeArn": invoke,
        "qualifiedArn": f"{arn}:{version}",
        "qualifiedInvokeArn": invoke.replace(arn, f"{arn}:{version}"),
        "version": version,
        "lastModified": "2025-01-01T00:00:00.000+0000",
        "sourceCodeHash": hashlib.sha256(r.seed.encode()).hexdigest(),
        "codeSha256": hashlib.sha256(r.seed.encode()).hexdigest(),
        "sourceCodeSize": 1024.0,
    }
    optional_computed: dict[str, Wire] = {
        "architectures": ["x86_64"],
        "tracingConfig": {"mode": "PassThrough"},
        "loggingConfig": {"logFormat": "Text", "logGroup": f"/aws/lambda/{r.name}"},
        "ephemeralStorage": {"size": 512.0},
    }
    computed.update({k: v for k, v in optional_computed.items() if k not in r.inputs})
    return r.name, computed


def _function_name(r: Resource) -> str:
    function = r.text("functionName") or ""
    return function.split(":")[6] if function.startswith("arn:") and function.count(":") >= 6 else function


def _alias(r: Resource) -> Computed:
    arn = r.arn("lambda", f"function:{_function_name(r)}:{r.name}")
    invoke = f"arn:{r.env.partition}:apigateway:{r.env.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    return arn, {"arn": arn, "invokeArn": invoke}


def _provisioned_concurrency(r: Resource) -> Computed:
    return f"{_function_name(r)},{r.text('qualifier') or ''}", {}


def _iam_path(r: Resource) -> str:
    return r.text("path") or "/"


def _role(r: Resource) -> Computed:
    return r.name, {
        "arn": r.arn("iam", f"role{_iam_path(r)}{r.name}", regional=False),
        "uniqueId": "AROA" + short_hash(r.seed, 17).upper(),
        "createDate": "2025-01-01T00:00:00Z",
    }


def _policy(r: Resource) -> Computed:
    arn = r.arn("iam", f"policy{_iam_path(r)}{r.name}", regional=False)
    return arn, {"arn": arn, "policyId": "ANPA" + short_hash(r.seed, 17).upper(), "attachmentCount": 0.0}


def _inline_policy(owner: str) -> Callable[[Resource], Computed]:
    def computed(r: Resource) -> Computed:
        return f"{r.text(owner) or ''}:{r.name}", {}

    return computed


def _kms_key(r: Resource) -> Computed:
    key_id = fake_uuid(r.seed)
    computed: dict[str, Wire] = {"keyId": key_id, "arn": r.arn("kms", f"key/{key_id}")}
    if "multiRegion" not in r.inputs:
        computed["multiRegion"] = False
    return key_id, computed


def _kms_alias(r: Resource) -> Computed:
    target = r.text("targetKeyId") or ""
    target_arn = target if target.startswith("arn:") else r.arn("kms", f"key/{target}")
    return r.name, {"arn": r.arn("kms", r.name), "targetKeyArn": target_arn}


def _table(r: Resource) -> Computed:
    arn = r.arn("dynamodb", f"table/{r.name}")
    computed: dict[str, Wire] = {"arn": arn}
    if unwrap(r.inputs.get("streamEnabled")) is True:
        computed["streamLabel"] = "2025-01-01T00:00:00.000"
        computed["streamArn"] = f"{arn}/stream/2025-01-01T00:00:00.000"
    return r.name, computed


def _log_group(r: Resource) -> Computed:
    return r.name, {"arn": r.arn("logs", f"log-group:{r.name}")}


def _queue(r: Resource) -> Computed:
    url = f"https://sqs.{r.env.region}.amazonaws.com/{r.env.account}/{r.name}"
    return url, {"arn": r.arn("sqs", r.name), "url": url}


def _topic(r: Resource) -> Computed:
    arn = r.arn("sns", r.name)
    return arn, {"arn": arn, "owner": r.env.account}


def _secret(r: Resource) -> Computed:
    arn = r.arn("secretsmanager", f"secret:{r.name}-{short_hash(r.seed, 6)}")
    return arn, {"arn": arn}


def _bucket(r: Resource) -> Computed:
    return r.name, {
        "arn": r.arn("s3", r.name, regional=False),
        "bucketDomainName": f"{r.name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{r.name}.s3.{r.env.region}.amazonaws.com",
        "region": r.env.region,
    }


def _event_source_mapping(r: Resource) -> Computed:
    mapping_id = fake_uuid(r.seed)
    function = r.text("functionName") or ""
    function_arn = function if function.startswith("arn:") else r.arn("lambda", f"function:{function}")
    return mapping_id, {"uuid": mapping_id, "functionArn": function_arn, "state": "Enabled"}


def _layer_version(r: Resource) -> Computed:
    layer_arn = r.arn("lambda", f"layer:{r.text('layerName') or r.logical_name}")
    return f"{layer_arn}:1", {"arn": f"{layer_arn}:1", "layerArn": layer_arn, "version": "1"}


def _generic(r: Resource) -> Computed:
    if not r.type.startswith("aws:"):
        return r.name, {}
    module = r.type.split(":")[1]
    service, _, kind = module.partition("/")
    return r.name, {"arn": r.arn(service, f"{kind.lower() or service}/{r.name}")}


COMPUTED: Final[Mapping[str, Callable[[Resource], Computed]]] = {
    "aws:lambda/function:Function": _function,
    "aws:lambda/alias:Alias": _alias,
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": _provisioned_concurrency,
    "aws:lambda/eventSourceMapping:EventSourceMapping": _event_source_mapping,
    "aws:lambda/layerVersion:LayerVersion": _layer_version,
    "aws:iam/role:Role": _role,
    "aws:iam/policy:Policy": _policy,
    "aws:iam/rolePolicy:RolePolicy": _inline_policy("role"),
    "aws:iam/userPolicy:UserPolicy": _inline_policy("user"),
    "aws:iam/groupPolicy:GroupPolicy": _inline_policy("group"),
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:dynamodb/table:Table": _table,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:sqs/queue:Queue": _queue,
    "aws:sns/topic:Topic": _topic,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
}


def resource_state(
    type_: str, logical_name: str, inputs: Mapping[str, Wire], env: Env, seed: str, preview: bool
) -> tuple[str, dict[str, Wire]]:
    """The id and outputs a create (update) or its plan (preview: "" and unknown computed values) returns."""
    if type_.startswith("pulumi:providers:"):
        return ("" if preview else fake_uuid(seed)), dict(inputs)
    resource = Resource(type_, logical_name, inputs, env, seed)
    resource_id, computed = COMPUTED.get(type_, _generic)(resource)
    if "namePrefix" in inputs and "name" not in inputs:
        computed["name"] = resource.name
    outputs: dict[str, Wire] = {k: v for k, v in OUTPUT_DEFAULTS.get(type_, {}).items() if k not in inputs}
    outputs.update(inputs)
    if "tags" in inputs or type_ in TAGGABLE:
        outputs["tagsAll"] = tags_all(inputs, env.default_tags)
    if preview:
        computed = {key: UNKNOWN for key in computed}
        resource_id = ""
    outputs.update(computed)
    outputs["id"] = resource_id or UNKNOWN
    return resource_id, outputs


# --- invokes --------------------------------------------------------------------------------------------------

REGION_NAMES: Final[Mapping[str, str]] = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "Europe (Ireland)",
    "eu-central-1": "Europe (Frankfurt)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
}


def _caller_identity(args: Mapping[str, Wire], env: Env) -> dict[str, Wire]:
    return {
        "accountId": env.account,
        "arn": f"arn:{env.partition}:iam::{env.account}:user/offline-check",
        "id": env.account,
        "userId": "AIDAOFFLINECHECK000000",
    }


def _region(args: Mapping[str, Wire], env: Env) -> dict[str, Wire]:
    region = plain_string(args.get("region")) or plain_string(args.get("name")) or env.region
    return {
        "description": REGION_NAMES.get(region, region),
        "endpoint": f"ec2.{region}.amazonaws.com",
        "id": region,
        "name": region,
        "region": region,
    }


def _partition(args: Mapping[str, Wire], env: Env) -> dict[str, Wire]:
    partition = env.partition
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    reverse = "cn.com.amazonaws" if partition == "aws-cn" else "com.amazonaws"
    return {"dnsSuffix": suffix, "id": partition, "partition": partition, "reverseDnsPrefix": reverse}


def _policy_document(args: Mapping[str, Wire], env: Env) -> dict[str, Wire]:
    document = render_policy_document(args)
    pretty = go_json(document, indent=True)
    return {
        "id": str(zlib.crc32(pretty.encode())),
        "json": pretty,
        "minifiedJson": go_json(document, indent=False),
        "version": document.get("Version", POLICY_VERSION),
        **{key: args[key] for key in ("statements", "policyId") if key in args},
    }


INVOKES: Final[Mapping[str, Callable[[Mapping[str, Wire], Env], dict[str, Wire]]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
}


def answer_invoke(token: str, args: Mapping[str, Wire], env: Env) -> dict[str, Wire] | None:
    """The invoke's result, UNKNOWN results when an argument is unknown, or None for an invoke we don't know."""
    answer = INVOKES.get(token)
    if answer is None:
        return None
    result = answer(args, env)
    if not is_known(dict(args)):
        return {key: UNKNOWN for key in result}
    return result


# --- aws:iam/getPolicyDocument, rendered as the provider renders it -------------------------------------------

STATEMENT_KEYS: Final = (
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
)


def _strings(value: Wire) -> list[str]:
    value = unwrap(value)
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [str(unwrap(v)) for v in value if unwrap(v) is not None]
    return []


def _string_or_list(values: list[str]) -> str | list[str] | None:
    """A single value as a string, several reverse-sorted (the provider's `policyDecodeConfigStringList`)."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return sorted(values, reverse=True)


def _principals(principals: Wire) -> Wire:
    raw: dict[str, Wire] = {}
    for principal in _mappings(principals):
        kind = str(unwrap(principal.get("type")) or "")
        identifiers = _string_or_list(sorted(set(_strings(principal.get("identifiers")))))
        if identifiers is None:
            continue
        existing = raw.get(kind)
        if existing is None:
            raw[kind] = identifiers
        else:
            as_list = [existing] if isinstance(existing, str) else list(existing)
            raw[kind] = as_list + ([identifiers] if isinstance(identifiers, str) else identifiers)
    if list(raw) == ["*"]:
        return "*"
    return dict(sorted(raw.items())) or None


def _conditions(conditions: Wire) -> Wire:
    raw: dict[str, dict[str, Wire]] = {}
    for condition in _mappings(conditions):
        test = str(unwrap(condition.get("test")) or "")
        variable = str(unwrap(condition.get("variable")) or "")
        values = _string_or_list(_strings(condition.get("values")))
        if values is not None:
            raw.setdefault(test, {})[variable] = values
    return {test: dict(sorted(variables.items())) for test, variables in sorted(raw.items())} or None


def _mappings(value: Wire) -> list[Mapping[str, Wire]]:
    value = unwrap(value)
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [unwrap(v) for v in value if isinstance(unwrap(v), Mapping)]


def _statement(statement: Mapping[str, Wire]) -> dict[str, Wire]:
    rendered: dict[str, Wire] = {
        "Sid": unwrap(statement.get("sid")) or None,
        "Effect": unwrap(statement.get("effect")) or "Allow",
        "Action": _string_or_list(sorted(set(_strings(statement.get("actions"))))),
        "NotAction": _string_or_list(sorted(set(_strings(statement.get("notActions"))))),
        "Resource": _string_or_list(sorted(set(_strings(statement.get("resources"))))),
        "NotResource": _string_or_list(sorted(set(_strings(statement.get("notResources"))))),
        "Principal": _principals(statement.get("principals")),
        "NotPrincipal": _principals(statement.get("notPrincipals")),
        "Condition": _conditions(statement.get("conditions")),
    }
    return {key: value for key, value in rendered.items() if value not in (None, "", [], {})}


def _merge(statements: list[dict[str, Wire]], extra: Sequence[Mapping[str, Wire]]) -> None:
    """A later statement replaces an earlier one with the same Sid; others are appended."""
    for statement in extra:
        ordered = {key: statement[key] for key in STATEMENT_KEYS if key in statement}
        sid = ordered.get("Sid")
        same = [i for i, s in enumerate(statements) if sid and s.get("Sid") == sid]
        if same:
            statements[same[0]] = ordered
        else:
            statements.append(ordered)


def _document_statements(source: Wire) -> list[Mapping[str, Wire]]:
    text = plain_string(source)
    if text is None:
        return []
    try:
        document = json.loads(text)
    except ValueError:
        return []
    statements = document.get("Statement", []) if isinstance(document, Mapping) else []
    if isinstance(statements, Mapping):
        statements = [statements]
    return [s for s in statements if isinstance(s, Mapping)]


def render_policy_document(args: Mapping[str, Wire]) -> dict[str, Wire]:
    statements: list[dict[str, Wire]] = []
    for source in _strings_raw(args.get("sourcePolicyDocuments")):
        _merge(statements, _document_statements(source))
    _merge(statements, [_statement(s) for s in _mappings(args.get("statements"))])
    for override in _strings_raw(args.get("overridePolicyDocuments")):
        _merge(statements, _document_statements(override))
    document: dict[str, Wire] = {"Version": plain_string(args.get("version")) or POLICY_VERSION}
    policy_id = plain_string(args.get("policyId"))
    if policy_id:
        document["Id"] = policy_id
    if statements:
        document["Statement"] = statements
    return document


def _strings_raw(value: Wire) -> list[Wire]:
    value = unwrap(value)
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


def go_json(value: Wire, indent: bool) -> str:
    """JSON as Go's encoding/json writes it: HTML characters escaped, two-space indent when pretty."""
    text = json.dumps(
        value, indent=2 if indent else None, separators=None if indent else (",", ":"), ensure_ascii=False
    )
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
