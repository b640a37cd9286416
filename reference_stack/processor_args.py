"""Typed arguments of the transaction processor and the checks that keep them inside the pack's defaults."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

CONFIG_NAMESPACE = "lambda-reference"

SUFFIX_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
MAX_SUFFIX_LENGTH = 20
ENVIRONMENTS = ("development", "staging", "production")
PRODUCTION_STACK_PATTERN = re.compile(r"^(prod|production)([-_].*)?$")
TAG_VALUE_PATTERN = re.compile(r"^[\w .:/=+\-@]{1,256}$")

# floor(maxFunctionShare 0.1 * (accountConcurrencyLimit 1000 - minimumUnreservedConcurrency 100))
MAX_RESERVED_CONCURRENCY = 90
AWS_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
MIN_RETENTION_DAYS = 1
MAX_RETENTION_DAYS = 30
ALLOWED_RETENTION_DAYS = tuple(d for d in AWS_RETENTION_DAYS if MIN_RETENTION_DAYS <= d <= MAX_RETENTION_DAYS)


@dataclass(frozen=True)
class TransactionProcessorArgs:
    environment_suffix: str
    environment: str
    team: str
    cost_center: str
    reserved_concurrency: int = 10
    provisioned_concurrency: int = 1
    log_retention_days: int = 7
    encrypt_logs: bool = True
    log_level: str = "INFO"

    @property
    def tags(self) -> dict[str, str]:
        return {"Environment": self.environment, "Team": self.team, "CostCenter": self.cost_center}


def _key(name: str) -> str:
    return f"{CONFIG_NAMESPACE}:{name}"


def validate_suffix(suffix: object) -> str:
    if not isinstance(suffix, str) or len(suffix) > MAX_SUFFIX_LENGTH or not SUFFIX_PATTERN.fullmatch(suffix):
        raise ValueError(
            f"config {_key('environmentSuffix')} is {suffix!r}: it must be 1-{MAX_SUFFIX_LENGTH} "
            "lowercase letters, digits or hyphens, starting and ending with a letter or digit"
        )
    return suffix


def validate_args(args: TransactionProcessorArgs, stack: str) -> None:
    """Raise ValueError, naming the config key and the value, for anything the policy pack would reject."""
    validate_suffix(args.environment_suffix)

    if args.environment not in ENVIRONMENTS:
        raise ValueError(
            f"config {_key('environment')} is {args.environment!r}: it must be one of {', '.join(ENVIRONMENTS)}"
        )
    is_production_stack = PRODUCTION_STACK_PATTERN.fullmatch(stack) is not None
    if args.environment == "production" and not is_production_stack:
        raise ValueError(
            f"config {_key('environment')} is 'production' on stack {stack!r}: 'production' is allowed only "
            "on stacks named prod, production, prod-* or production-*"
        )
    if is_production_stack and args.environment != "production":
        raise ValueError(
            f"config {_key('environment')} is {args.environment!r} on production stack {stack!r}: "
            "a production stack must use 'production'"
        )

    for name, value in (("team", args.team), ("costCenter", args.cost_center)):
        if not isinstance(value, str) or not TAG_VALUE_PATTERN.fullmatch(value):
            raise ValueError(
                f"config {_key(name)} is {value!r}: it must be a non-empty tag value of at most 256 letters, "
                "digits, spaces or _ . : / = + - @"
            )

    reserved = args.reserved_concurrency
    if isinstance(reserved, bool) or not isinstance(reserved, int) or not 1 <= reserved <= MAX_RESERVED_CONCURRENCY:
        raise ValueError(
            f"config {_key('reservedConcurrency')} is {reserved!r}: it must be an integer from 1 to "
            f"{MAX_RESERVED_CONCURRENCY} (10% of the 1000 account limit after the 100 AWS keeps unreserved)"
        )

    provisioned = args.provisioned_concurrency
    if isinstance(provisioned, bool) or not isinstance(provisioned, int) or provisioned < 0:
        raise ValueError(
            f"config {_key('provisionedConcurrency')} is {provisioned!r}: it must be a non-negative integer "
            "(0 turns provisioned concurrency off)"
        )
    if provisioned > reserved:
        raise ValueError(
            f"config {_key('provisionedConcurrency')} is {provisioned}, more than "
            f"{_key('reservedConcurrency')} {reserved}: provisioned concurrency cannot exceed the "
            "function's reserved concurrency"
        )

    retention = args.log_retention_days
    if isinstance(retention, bool) or retention not in ALLOWED_RETENTION_DAYS:
        raise ValueError(
            f"config {_key('logRetentionDays')} is {retention!r}: it must be one of "
            f"{', '.join(str(d) for d in ALLOWED_RETENTION_DAYS)} (AWS's allowed values within "
            f"{MIN_RETENTION_DAYS}-{MAX_RETENTION_DAYS} days)"
        )

    if args.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(f"config {_key('logLevel')} is {args.log_level!r}: it must be DEBUG, INFO, WARNING or ERROR")


def _int(get: Callable[[str], str | None], name: str, default: int) -> int:
    raw = get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(str(raw).strip())
    except ValueError:
        raise ValueError(f"config {_key(name)} is {raw!r}: it must be an integer") from None


def _bool(get: Callable[[str], str | None], name: str, default: bool) -> bool:
    raw = get(name)
    if raw is None or raw == "":
        return default
    text = str(raw).strip().lower()
    if text not in ("true", "false"):
        raise ValueError(f"config {_key(name)} is {raw!r}: it must be true or false")
    return text == "true"


def _require(get: Callable[[str], str | None], name: str) -> str:
    raw = get(name)
    if raw is None or raw == "":
        raise ValueError(f"config {_key(name)} is missing: set it with `pulumi config set {name} <value>`")
    return str(raw)


def load_args(get: Callable[[str], str | None], stack: str) -> TransactionProcessorArgs:
    """Build and validate the arguments from stack config; `get` is e.g. `pulumi.Config().get`."""
    args = TransactionProcessorArgs(
        environment_suffix=_require(get, "environmentSuffix"),
        environment=_require(get, "environment"),
        team=_require(get, "team"),
        cost_center=_require(get, "costCenter"),
        reserved_concurrency=_int(get, "reservedConcurrency", 10),
        provisioned_concurrency=_int(get, "provisionedConcurrency", 1),
        log_retention_days=_int(get, "logRetentionDays", 7),
        encrypt_logs=_bool(get, "encryptLogs", True),
        log_level=get("logLevel") or "INFO",
    )
    validate_args(args, stack)
    return args
