"""Function settings: real code and configuration, Graviton, and memory and timeout within bounds."""

from __future__ import annotations

import re
from typing import Any, Final

import pulumi

from . import aws
from .framework import EnforcementLevel, Guide, Meta, ResourceContext, Severity, resource_policy
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


POLICIES = (
    resource_policy(PLACEHOLDER_CODE, check_placeholder_code),
    resource_policy(ARM64, check_arm64),
    resource_policy(MEMORY_AND_TIMEOUT, check_memory_and_timeout),
)
