"""Stack config validation: anything the policy pack would reject fails the program with a clear message."""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Any

import pytest

GOOD = {
    "environmentSuffix": "dev",
    "environment": "development",
    "team": "payments",
    "costCenter": "fintech",
    "reservedConcurrency": "10",
    "provisionedConcurrency": "2",
    "logRetentionDays": "7",
}


def load(processor_args: ModuleType, stack: str = "dev", **changes: str | None) -> Any:
    values = {**GOOD, **changes}
    return processor_args.load_args(values.get, stack)


def test_good_config_builds_typed_args(processor_args: ModuleType) -> None:
    args = load(processor_args)
    assert dataclasses.is_dataclass(args)
    assert args == processor_args.TransactionProcessorArgs(
        environment_suffix="dev",
        environment="development",
        team="payments",
        cost_center="fintech",
        reserved_concurrency=10,
        provisioned_concurrency=2,
        log_retention_days=7,
    )
    assert args.tags == {"Environment": "development", "Team": "payments", "CostCenter": "fintech"}


def test_defaults_apply_when_optional_keys_are_absent(processor_args: ModuleType) -> None:
    args = load(processor_args, reservedConcurrency=None, provisionedConcurrency=None, logRetentionDays=None)
    assert (args.reserved_concurrency, args.provisioned_concurrency, args.log_retention_days) == (10, 1, 7)
    assert args.encrypt_logs is True


@pytest.mark.parametrize(
    "suffix",
    ["a", "dev", "pr-123", "0abc9", "a" * 20, "feature-x-1"],
)
def test_valid_suffixes(processor_args: ModuleType, suffix: str) -> None:
    assert processor_args.validate_suffix(suffix) == suffix


@pytest.mark.parametrize(
    "suffix",
    ["Dev", "DEV", "dev_1", "dev.1", "dev 1", "-dev", "dev-", "a" * 21, "", "dév", "dev/1", "dev\n"],
)
def test_invalid_suffix_is_rejected_naming_key_and_value(processor_args: ModuleType, suffix: str) -> None:
    with pytest.raises(ValueError) as raised:
        load(processor_args, environmentSuffix=suffix) if suffix else processor_args.validate_suffix(suffix)
    message = str(raised.value)
    assert "lambda-reference:environmentSuffix" in message
    assert repr(suffix) in message
    assert "20" in message
    assert "lowercase" in message


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("reservedConcurrency", "91", "from 1 to 90"),
        ("reservedConcurrency", "100", "from 1 to 90"),
        ("reservedConcurrency", "0", "from 1 to 90"),
        ("reservedConcurrency", "-1", "from 1 to 90"),
        ("reservedConcurrency", "ten", "must be an integer"),
        ("provisionedConcurrency", "11", "cannot exceed"),
        ("provisionedConcurrency", "-1", "non-negative"),
        ("logRetentionDays", "0", "1, 3, 5, 7, 14, 30"),
        ("logRetentionDays", "2", "1, 3, 5, 7, 14, 30"),
        ("logRetentionDays", "60", "1, 3, 5, 7, 14, 30"),
        ("logRetentionDays", "365", "1, 3, 5, 7, 14, 30"),
        ("environment", "prod", "development, staging, production"),
        ("environment", "Production", "development, staging, production"),
        ("team", "", "is missing"),
        ("costCenter", "fin<tech>", "tag value"),
    ],
)
def test_out_of_bounds_values_are_rejected(processor_args: ModuleType, key: str, value: str, expected: str) -> None:
    with pytest.raises(ValueError) as raised:
        load(processor_args, **{key: value})
    message = str(raised.value)
    assert f"lambda-reference:{key}" in message
    assert expected in message
    if value:
        assert value in message


def test_reserved_concurrency_bounds_are_inclusive(processor_args: ModuleType) -> None:
    assert load(processor_args, reservedConcurrency="90", provisionedConcurrency="90").reserved_concurrency == 90
    assert load(processor_args, reservedConcurrency="1", provisionedConcurrency="1").reserved_concurrency == 1
    assert load(processor_args, provisionedConcurrency="0").provisioned_concurrency == 0


def test_provisioned_above_reserved_names_both_keys(processor_args: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"provisionedConcurrency is 11, more than .*reservedConcurrency 10"):
        load(processor_args, provisionedConcurrency="11")


@pytest.mark.parametrize("stack", ["prod", "production", "prod-eu", "production_2"])
def test_production_is_for_production_stacks(processor_args: ModuleType, stack: str) -> None:
    assert load(processor_args, stack=stack, environment="production").environment == "production"
    with pytest.raises(ValueError, match="must use 'production'"):
        load(processor_args, stack=stack, environment="staging")


@pytest.mark.parametrize("stack", ["dev", "staging", "preprod", "prodtest", "my-prod"])
def test_production_is_rejected_on_other_stacks(processor_args: ModuleType, stack: str) -> None:
    with pytest.raises(ValueError, match=f"'production' on stack '{stack}'"):
        load(processor_args, stack=stack, environment="production")


def test_validate_args_checks_a_hand_built_dataclass(processor_args: ModuleType) -> None:
    args = processor_args.TransactionProcessorArgs(
        environment_suffix="dev", environment="development", team="payments", cost_center="fintech"
    )
    processor_args.validate_args(args, "dev")
    with pytest.raises(ValueError, match="reservedConcurrency is 500"):
        processor_args.validate_args(dataclasses.replace(args, reserved_concurrency=500), "dev")
    with pytest.raises(ValueError, match="reservedConcurrency is True"):
        processor_args.validate_args(dataclasses.replace(args, reserved_concurrency=True), "dev")
    with pytest.raises(ValueError, match="logRetentionDays is 90"):
        processor_args.validate_args(dataclasses.replace(args, log_retention_days=90), "dev")


def test_allowed_retention_is_awss_list_within_pack_bounds(processor_args: ModuleType) -> None:
    assert processor_args.ALLOWED_RETENTION_DAYS == (1, 3, 5, 7, 14, 30)
    assert int(0.1 * (1000 - 100)) == processor_args.MAX_RESERVED_CONCURRENCY
