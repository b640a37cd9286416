"""Function settings: real code and configuration, Graviton, and memory and timeout within bounds."""

from __future__ import annotations

import re
from typing import Any, Final

import pulumi

from . import aws
from .framework import Control, EnforcementLevel, Guide, Meta, ResourceContext, Severity, resource_policy
from .lambda_facts import RESERVED_VARIABLES
from .values import UNKNOWN, describe, get, integer, number, quote

PLACEHOLDER: Final = re.compile(r"placeholder|change[-_]?me|todo|xxx|dummy|replace[-_]?me", re.IGNORECASE)
MAX_NAMES_SHOWN: Final = 10
ARCHITECTURES: Final = ("arm64", "x86_64")
AWS_DEFAULT_MEMORY_MB: Final = 128
AWS_DEFAULT_TIMEOUT_SECONDS: Final = 3
CONFIG_DOC: Final = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-function-common.html"

# --- lambda-function-disallow-placeholder-code --------------------------------------------------------------

PLACEHOLDER_CODE = Meta(
    name="lambda-function-disallow-placeholder-code",
    description="A function ships packaged code, not inline string assets, and no placeholder environment values.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    tags=("lambda", "deployability", "operations"),
    types=(aws.FUNCTION,),
    remediation_steps=(
        "Build the handler from a source directory or a built zip (`pulumi.FileArchive(\"./app\")`), an S3 "
        "object (`s3_bucket`/`s3_key`) or an image (`image_uri`) instead of `pulumi.StringAsset` text in the "
        "program, and take environment values from stack config or a secret store instead of placeholders "
        "such as `placeholder-...`, `changeme`, `TODO` or `<your-value-here>`."
    ),
    guide=Guide(
        why="Inline `StringAsset` code is written inside the infrastructure program: it escapes linting, unit "
        "tests and code review as application code, and is usually a stub. Placeholder environment values "
        "deploy fine and fail only at run time, in production. Any `StringAsset` in the archive counts, even "
        "beside file assets; an archive of `FileAsset`s, a `FileArchive`, S3 code and images are fine. The "
        "message names the variables, never their values, "
        "which may be secrets. A value is a placeholder when it contains `placeholder`, `changeme`, `todo`, "
        "`xxx`, `dummy` or `replace_me` anywhere, in any case (`change-me`, `change_me`, `replace-me` and "
        "`replaceme` too), or when it is wrapped in `<...>`; a real value that happens to contain a marker (a "
        "host named `todo-api`) is a case for an exemption.",
        links=(
            "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-package.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
            "https://www.pulumi.com/docs/iac/concepts/assets-archives/",
        ),
        failing='aws.lambda_.Function("fn",\n'
        '    code=pulumi.AssetArchive({"index.js": pulumi.StringAsset(LAMBDA_CODE)}),\n'
        '    environment={"variables": {"DATABASE_URL": "placeholder-database-url"}}, **function_args)',
        compliant="config = pulumi.Config()\n"
        'aws.lambda_.Function("fn", code=pulumi.FileArchive("./app"),\n'
        '    environment={"variables": {"DATABASE_URL": config.require("databaseUrl")}}, **function_args)',
        unknowns=(
            ("code", "an archive computed from other outputs is not judged: not applicable, naming the property; "
             "environment values are still checked."),
            ("environment.variables", "not applicable, naming the property; a single unknown value is not a "
             "literal, so not a placeholder."),
        ),
    ),
)


def _string_assets(archive: Any, depth: int = 0) -> list[str]:
    """The names of the StringAssets in an inline archive, nested archives included."""
    if depth > 10 or not isinstance(archive, pulumi.AssetArchive) or not isinstance(archive.assets, dict):
        return []
    found: list[str] = []
    for name, asset in archive.assets.items():
        if isinstance(asset, pulumi.StringAsset):
            found.append(str(name))
        else:
            found += [f"{name}/{inner}" for inner in _string_assets(asset, depth + 1)]
    return found


def _is_placeholder(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    stripped = value.strip()
    return bool(PLACEHOLDER.search(value)) or (len(stripped) > 1 and stripped[0] == "<" and stripped[-1] == ">")


def _names(names: list[str]) -> str:
    shown = ", ".join(quote(name) for name in names[:MAX_NAMES_SHOWN])
    return shown + (f" and {len(names) - MAX_NAMES_SHOWN} more" if len(names) > MAX_NAMES_SHOWN else "")


def check_placeholder_code(r: ResourceContext) -> None:
    code = r.props.get("code")
    if code is UNKNOWN:
        r.cannot_decide("code is unknown at preview (an archive computed from other outputs)")
    inline = sorted(_string_assets(code))
    if inline:
        r.fail(f"code is an inline AssetArchive with StringAsset {_names(inline)}: the handler is written in the "
               "program, not built and tested as code. Use pulumi.FileArchive, s3_bucket/s3_key or image_uri.")
    variables = get(r.props, "environment.variables")
    if variables is UNKNOWN:
        r.cannot_decide("environment.variables is unknown at preview")
    elif isinstance(variables, dict):
        placeholders = sorted(name for name, value in variables.items() if _is_placeholder(value))
        if placeholders:
            r.fail(f"environment.variables with placeholder values (values not shown): {_names(placeholders)}. "
                   "Take the real values from stack config or a secret store.")


# --- lambda-function-configure-arm64 ------------------------------------------------------------------------

ARM64 = Meta(
    name="lambda-function-configure-arm64",
    description="A function runs on arm64 (Graviton).",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    tags=("lambda", "cost", "performance"),
    types=(aws.FUNCTION,),
    remediation_steps=(
        "Set `architectures=[\"arm64\"]` on the Function and build native dependencies and layers for arm64 "
        "(e.g. `pip install --platform manylinux2014_aarch64`)."
    ),
    guide=Guide(
        why="Lambda bills arm64 (Graviton2) duration about 20% cheaper than x86_64, usually at equal or better "
        "performance. Without `architectures` AWS uses x86_64. Only native dependencies (compiled wheels, "
        "binaries, layers) need an arm64 build; exempt functions that truly need x86_64.",
        links=(
            "https://docs.aws.amazon.com/lambda/latest/dg/foundation-arch.html",
            "https://aws.amazon.com/lambda/pricing/",
        ),
        failing='aws.lambda_.Function("fn", runtime="python3.12", **function_args)  # x86_64 by default',
        compliant='aws.lambda_.Function("fn", runtime="python3.12", architectures=["arm64"], **function_args)',
        unknowns=(("architectures", "the list or an element unknown: not applicable, naming the property."),),
    ),
)


def check_arm64(r: ResourceContext) -> None:
    architectures = r.props.get("architectures")
    if architectures is UNKNOWN or (isinstance(architectures, list) and UNKNOWN in architectures):
        r.cannot_decide("architectures is unknown at preview")
    elif architectures is None or architectures == []:
        r.fail('architectures is not set, so the function runs on x86_64. Set architectures=["arm64"].')
    elif architectures != ["arm64"]:
        listed = isinstance(architectures, list)
        shown = f"[{', '.join(describe(a, ARCHITECTURES) for a in architectures)}]" if listed else describe(
            architectures, ARCHITECTURES)
        r.fail(f'architectures is {shown}, not ["arm64"]. Set architectures=["arm64"] for Graviton pricing.')


# --- lambda-function-restrict-memory-and-timeout ------------------------------------------------------------

MEMORY_AND_TIMEOUT = Meta(
    name="lambda-function-restrict-memory-and-timeout",
    description="A function's memory size and timeout stay within the organization's bounds.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    tags=("lambda", "cost", "performance"),
    types=(aws.FUNCTION,),
    config={
        "minMemoryMb": {
            "type": "integer",
            "minimum": 128,
            "maximum": 10240,
            "default": 128,
            "description": "The smallest memorySize allowed, in MB.",
        },
        "maxMemoryMb": {
            "type": "integer",
            "minimum": 128,
            "maximum": 10240,
            "default": 10240,
            "description": "The largest memorySize allowed, in MB.",
        },
        "maxTimeoutSeconds": {
            "type": "integer",
            "minimum": 1,
            "maximum": 900,
            "default": 30,
            "description": "The longest timeout allowed, in seconds.",
        },
    },
    remediation_steps=(
        "Set `memory_size` within minMemoryMb-maxMemoryMb (128-10240 MB by default; tune it with AWS Lambda "
        "Power Tuning) and `timeout` at most maxTimeoutSeconds (30 s by default). Move long work to Step "
        "Functions or a queue, and keep the timeout below the caller's (API Gateway allows 29 s)."
    ),
    guide=Guide(
        why="Memory also sets the CPU share and the price per millisecond; a long timeout lets a hung call "
        "bill for up to 15 minutes and hold concurrency. A missing `memory_size` is judged as AWS's default "
        "of 128 MB and a missing `timeout` as 3 s; whole-number floats (1024.0) are whole numbers; the "
        "bounds are inclusive. A timeout below 1 s is reported too, since AWS rejects it.",
        links=(CONFIG_DOC, "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"),
        failing='aws.lambda_.Function("fn", memory_size=64, timeout=900, **function_args)',
        compliant='aws.lambda_.Function("fn", memory_size=1024, timeout=30, **function_args)',
        unknowns=(
            ("memorySize", "not applicable, naming the property; the timeout is still judged."),
            ("timeout", "not applicable, naming the property; the memory size is still judged."),
        ),
    ),
)


def _amount(value: Any, default: int, unit: str) -> tuple[int | None, str]:
    """A whole number (AWS's default when unset) and how to show what was found."""
    if value is None:
        return default, f"not set (AWS's default of {default} {unit})"
    whole = integer(value)
    return whole, f"{describe(value)} {unit}" if number(value) is not None else describe(value)


def check_memory_and_timeout(r: ResourceContext) -> None:
    low, high = number(r.config.get("minMemoryMb")), number(r.config.get("maxMemoryMb"))
    limit = number(r.config.get("maxTimeoutSeconds"))
    memory, timeout = r.props.get("memorySize"), r.props.get("timeout")
    if memory is UNKNOWN:
        r.cannot_decide("memorySize is unknown at preview")
    else:
        mb, found = _amount(memory, AWS_DEFAULT_MEMORY_MB, "MB")
        if mb is None or (low is not None and mb < low) or (high is not None and mb > high):
            r.fail(f"memorySize is {found}; allowed are whole numbers of MB within {describe(low)}-{describe(high)} "
                   "(minMemoryMb-maxMemoryMb). Set memory_size within the range.")
    if timeout is UNKNOWN:
        r.cannot_decide("timeout is unknown at preview")
    else:
        seconds, found = _amount(timeout, AWS_DEFAULT_TIMEOUT_SECONDS, "s")
        if seconds is None or seconds < 1 or (limit is not None and seconds > limit):
            r.fail(f"timeout is {found}; allowed are whole numbers of seconds within 1-{describe(limit)} "
                   "(maxTimeoutSeconds). Lower timeout, and move long work to Step Functions or a queue.")


# --- lambda-function-restrict-environment -------------------------------------------------------------------

MAX_ENVIRONMENT_BYTES: Final = 4096

ENVIRONMENT = Meta(
    name="lambda-function-restrict-environment",
    description="A function's environment uses no reserved variable name and fits in 4 KB, and a Zip package "
    "sets handler and runtime.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=("lambda", "deployability"),
    types=(aws.FUNCTION,),
    remediation_steps=(
        "Rename variables that use a name Lambda reserves (`AWS_REGION` and the other `AWS_...` runtime "
        "variables are already set for you; read them instead of setting them), move large values to SSM "
        "Parameter Store or Secrets Manager so the variables stay within 4 KB, and set `handler` and `runtime` "
        "on a Zip function."
    ),
    guide=Guide(
        why="AWS rejects all three at deploy time, after the rest of the stack may already have changed. The "
        "reserved names are the ones the Lambda documentation lists and cfn-lint's E3663 checks (generated into "
        "`policypack/lambda_facts.py` from the installed cfn-lint); names Lambda lets you set, such as "
        "`AWS_LAMBDA_EXEC_WRAPPER` or `AWS_LAMBDA_LOG_LEVEL`, pass. The size counts the UTF-8 bytes of every "
        "key and value, as AWS does, with 4096 bytes allowed. A function without `packageType` is a Zip function; "
        "an Image function needs neither `handler` nor `runtime`. The message names variables, never values.",
        aws_error="InvalidParameterValueException: Lambda was unable to configure your environment variables "
        "because the environment variables you have provided contains reserved keys that are currently not "
        "supported for modification. Reserved keys used in this request: AWS_REGION",
        links=("https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
               "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"),
        failing='aws.lambda_.Function("fn", code=pulumi.FileArchive("./app"), role=role.arn,\n'
        '    environment={"variables": {"AWS_REGION": "eu-west-1"}})',
        compliant='aws.lambda_.Function("fn", code=pulumi.FileArchive("./app"), role=role.arn,\n'
        '    runtime="python3.13", handler="handler.handler",\n'
        '    environment={"variables": {"TARGET_REGION": "eu-west-1"}})',
        unknowns=(
            ("environment.variables", "the map unknown: not applicable, naming the property; a value unknown: "
             "the size is judged when the known part already exceeds 4 KB, else not applicable."),
            ("packageType", "not applicable for the handler and runtime clause, naming the property."),
            ("handler, runtime", "count as set."),
        ),
    ),
)


def _environment_bytes(variables: dict[str, Any]) -> tuple[int, bool]:
    """The UTF-8 size of the known keys and values, and whether some value is unknown or not a string."""
    size, unknown = 0, False
    for key, value in variables.items():
        size += len(key.encode())
        if isinstance(value, str):
            size += len(value.encode())
        else:
            unknown = True
    return size, unknown


def check_environment(r: ResourceContext) -> None:
    variables = get(r.props, "environment.variables")
    if variables is UNKNOWN:
        r.cannot_decide("environment.variables is unknown at preview")
    elif isinstance(variables, dict):
        reserved = sorted(name for name in variables if name in RESERVED_VARIABLES)
        if reserved:
            r.fail(f"environment.variables sets {_names(reserved)}, which Lambda reserves: AWS rejects the function. "
                   "Rename them, or read the value Lambda sets.")
        size, unknown = _environment_bytes(variables)
        if size > MAX_ENVIRONMENT_BYTES:
            r.fail(f"environment.variables take {size} bytes (keys and values), over Lambda's 4 KB "
                   f"({MAX_ENVIRONMENT_BYTES} bytes). Move large values to SSM Parameter Store or Secrets Manager.")
        elif unknown:
            r.cannot_decide("environment.variables has values unknown at preview, so its size is not judged")
    package = r.props.get("packageType")
    if package is UNKNOWN:
        r.cannot_decide("packageType is unknown at preview")
    elif package in (None, "Zip"):
        missing = [key for key in ("handler", "runtime") if r.props.get(key) in (None, "")]
        if missing:
            r.fail(f"a Zip function without {' and '.join(missing)}: AWS rejects it. Set "
                   f"{' and '.join(missing)}, or deploy an image (package_type=\"Image\").")


# --- lambda-function-require-vpc ----------------------------------------------------------------------------

VPC = Meta(
    name="lambda-function-require-vpc",
    description="A function runs in a VPC: at least one subnet and one security group, several subnets if required.",
    level=EnforcementLevel.DISABLED,
    severity=Severity.LOW,
    tags=("lambda", "network", "security"),
    types=(aws.FUNCTION,),
    config={
        "requireMultipleSubnets": {
            "type": "boolean",
            "default": False,
            "description": "Require at least minSubnets subnets (one per Availability Zone), as Security Hub's "
            "Lambda.5 does.",
        },
        "minSubnets": {
            "type": "integer",
            "minimum": 1,
            "maximum": 16,
            "default": 2,
            "description": "The fewest subnets when requireMultipleSubnets is true.",
        },
    },
    compliance=Control("Lambda.3"),
    remediation_steps=(
        "Set `vpc_config={\"subnet_ids\": [...], \"security_group_ids\": [...]}` with private subnets in "
        "several Availability Zones, give the execution role `AWSLambdaVPCAccessExecutionRole`, and reach AWS "
        "services through VPC endpoints or a NAT gateway."
    ),
    guide=Guide(
        why="A function in a VPC reaches private databases and is subject to the VPC's security groups, flow "
        "logs and egress controls (Security Hub Lambda.3; Lambda.5 asks for more than one Availability Zone). "
        "It is disabled by default: a function that only calls AWS APIs gains nothing from a VPC and needs "
        "endpoints or a NAT gateway to keep working. Enable it (the `security-hub-fsbp.json` profile does) in "
        "accounts whose functions must not have a direct route to the internet, or that are audited against "
        "FSBP; set `requireMultipleSubnets` to also require `minSubnets` subnets. Subnets are counted, not their "
        "zones, which are only known to AWS.",
        links=("https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html",
               "https://docs.aws.amazon.com/securityhub/latest/userguide/lambda-controls.html"),
        failing='aws.lambda_.Function("fn", **function_args)  # no vpc_config',
        compliant='aws.lambda_.Function("fn", vpc_config={"subnet_ids": [a.id, b.id],\n'
        '    "security_group_ids": [sg.id]}, **function_args)',
        unknowns=(("vpcConfig.subnetIds, vpcConfig.securityGroupIds", "a list unknown: not applicable, naming the "
                   "property; unknown elements count as ids."),),
    ),
)


def check_vpc(r: ResourceContext) -> None:
    subnets, groups = get(r.props, "vpcConfig.subnetIds"), get(r.props, "vpcConfig.securityGroupIds")
    if subnets is UNKNOWN or groups is UNKNOWN:
        r.cannot_decide("vpcConfig is unknown at preview")
        return
    subnets = [s for s in subnets if s or s is UNKNOWN] if isinstance(subnets, list) else []
    groups = [g for g in groups if g or g is UNKNOWN] if isinstance(groups, list) else []
    least = integer(r.config.get("minSubnets")) or 1 if r.config.get("requireMultipleSubnets") is True else 1
    if not subnets or not groups:
        r.fail(f"vpcConfig has {len(subnets)} subnets and {len(groups)} security groups: the function is not in a "
               "VPC. Set vpc_config with subnet_ids and security_group_ids.")
    elif len(subnets) < least:
        r.fail(f"vpcConfig has {len(subnets)} subnets; at least {least} (minSubnets) are required so the function "
               "runs in several Availability Zones.")


# --- lambda-function-require-code-signing -------------------------------------------------------------------

CODE_SIGNING = Meta(
    name="lambda-function-require-code-signing",
    description="A Zip function sets a code signing config of the stack that enforces signatures on deployment.",
    level=EnforcementLevel.DISABLED,
    severity=Severity.LOW,
    tags=("lambda", "security", "supply-chain"),
    types=(aws.FUNCTION, aws.CODE_SIGNING_CONFIG),
    remediation_steps=(
        "Create an `aws.signer.SigningProfile` and an `aws.lambda_.CodeSigningConfig` with "
        "`allowed_publishers` and `policies={\"untrusted_artifact_on_deployment\": \"Enforce\"}`, sign the "
        "package with AWS Signer, and set the Function's `code_signing_config_arn` to the config's `arn`."
    ),
    guide=Guide(
        why="Code signing makes Lambda refuse a package that a trusted publisher did not sign, or that changed "
        "after signing: a stolen deploy credential cannot ship arbitrary code. It only protects when the "
        "config's `untrustedArtifactOnDeployment` is `Enforce` (the default `Warn` logs and deploys anyway). "
        "As a resource policy it judges both ends: a Zip function must set `codeSigningConfigArn`, and every "
        "CodeSigningConfig must enforce, so the config a function of the stack refers to does. Image functions "
        "are signed through their registry instead and pass. Disabled by default: it needs a signing pipeline "
        "first.",
        links=("https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html",),
        failing='aws.lambda_.Function("fn", **function_args)  # no code_signing_config_arn',
        compliant='signing = aws.lambda_.CodeSigningConfig("signing",\n'
        '    allowed_publishers={"signing_profile_version_arns": [profile.version_arn]},\n'
        '    policies={"untrusted_artifact_on_deployment": "Enforce"})\n'
        'aws.lambda_.Function("fn", code_signing_config_arn=signing.arn, **function_args)',
        unknowns=(
            ("codeSigningConfigArn", "counts as set (it is a CodeSigningConfig's arn)."),
            ("policies.untrustedArtifactOnDeployment", "not applicable, naming the property."),
            ("packageType", "not applicable, naming the property."),
        ),
    ),
)


def check_code_signing(r: ResourceContext) -> None:
    if r.type == aws.CODE_SIGNING_CONFIG:
        r.expect("policies.untrustedArtifactOnDeployment", "Enforce", ("Enforce", "Warn"),
                 'unsigned code still deploys. Set untrusted_artifact_on_deployment="Enforce".')
        return
    package = r.props.get("packageType")
    if package is UNKNOWN:
        r.cannot_decide("packageType is unknown at preview")
    elif package in (None, "Zip") and r.props.get("codeSigningConfigArn") in (None, ""):
        r.fail("codeSigningConfigArn is not set: Lambda deploys any package, signed or not. Set "
               "code_signing_config_arn to a CodeSigningConfig that enforces signatures.")


POLICIES = (
    resource_policy(PLACEHOLDER_CODE, check_placeholder_code),
    resource_policy(ARM64, check_arm64),
    resource_policy(MEMORY_AND_TIMEOUT, check_memory_and_timeout),
    resource_policy(ENVIRONMENT, check_environment),
    resource_policy(VPC, check_vpc),
    resource_policy(CODE_SIGNING, check_code_signing),
)
