"""The detectors of lambda-function-disallow-plaintext-secrets, and what kms-key-enable-rotation may rotate, called
directly: which names and values count as secrets, which references do not, and that huge values stay fast."""

from __future__ import annotations

import time
from typing import Any

import pytest
from harness import run_stack

from policypack.encryption import rotation_exemption
from policypack.env_secrets import is_reference, is_secret_name, secret_findings, value_findings
from policypack.values import UNKNOWN

LITERAL = "a literal value under a secret-like name"
ACCESS_KEY = "an AWS access key id"
PEM_KEY = "a PEM private key"
URL = "a URL with embedded credentials"
KMS = "kms-key-enable-rotation"


@pytest.mark.parametrize("name", [
    "API_KEY", "api_key", "ClientSecret", "GITHUB_TOKEN", "DB_PASSWORD", "SMTP_PASSWD", "AWS_CREDENTIALS",
    "GOOGLE_CREDENTIAL", "PRIVATE_SALT", "KEY_ID", "MONKEY", "PUBLIC_API_KEY", "JWT_PUBLIC_KEY_SECRET",
])
def test_secret_like_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["TABLE_NAME", "LOG_LEVEL", "DATABASE_URL", "PUBLIC_KEY", "JWT_PUBLICKEY",
                                  "STRIPE_PUBLISHABLE_KEY", ""])
def test_plain_names(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize("value", [
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
    "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db/password",
    "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:s3:::bucket/key",
    "{{resolve:secretsmanager:db:SecretString:password}}",
    "  arn:aws:ssm:us-east-1:123456789012:parameter/x  ",
])
def test_references(value: str) -> None:
    assert is_reference(value)
    assert secret_findings("DB_PASSWORD", value) == []


@pytest.mark.parametrize("value", ["arn:my-password", "arn:aws:ssm", "{{resolve:}}", "prefix arn:aws:s3:::b/k",
                                   "{{resolve:x}} and more"])
def test_not_references(value: str) -> None:
    assert not is_reference(value)
    assert secret_findings("DB_PASSWORD", value) == [LITERAL]


@pytest.mark.parametrize("value", [None, "", "   ", True, False, 3600.0, 0, "4096", "-1", "0.5", "true", "FALSE",
                                   "123456789", UNKNOWN, {"x": UNKNOWN}, [UNKNOWN]])
def test_not_secrets_under_secret_names(value: Any) -> None:
    assert secret_findings("API_TOKEN", value) == []


@pytest.mark.parametrize("value", ["sk_live_abc", "1234567890", "x", {"k": "v"}, ["v"], "placeholder-api-key"])
def test_literals_under_secret_names(value: Any) -> None:
    assert secret_findings("API_TOKEN", value) == [LITERAL]


@pytest.mark.parametrize(("value", "expected"), [
    ("AKIAZZZZZZZZZZZZZZZZ", [ACCESS_KEY]),
    ("ASIA0123456789ABCDEF", [ACCESS_KEY]),
    ("id=AKIAZZZZZZZZZZZZZZZZ;region=eu-west-1", [ACCESS_KEY]),
    ("AKIAZZZZZZZZZZZZZZZZZ", []),  # 17 characters: not an access key id
    ("akiazzzzzzzzzzzzzzzz", []),
    ("XAKIAZZZZZZZZZZZZZZZZ", []),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", [PEM_KEY]),
    ("-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----", [PEM_KEY]),
    ("-----BEGIN EC PRIVATE KEY-----", [PEM_KEY]),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", [PEM_KEY]),
    ("-----BEGIN ENCRYPTED PRIVATE KEY-----", [PEM_KEY]),
    ("-----BEGIN PGP PRIVATE KEY BLOCK-----", [PEM_KEY]),
    ("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----", []),
    ("-----BEGIN CERTIFICATE-----", []),
    ("postgres://admin:Sup3rS3cretPw@db:5432/x", [URL]),
    ("redis://:R3disPass@cache:6379/0", [URL]),
    ("mongodb+srv://app:pw@cluster0.example.net/db", [URL]),
    ("see https://bot:tok@api.example.com/v1", [URL]),
    ("https://deploy@git.example.com/x.git", []),
    ("https://api.example.com:443/v1", []),
    ("http://[::1]:8080/health", []),
    ("https://h/p?u=a:b@c", []),
    ("postgres://app:@db/x", []),
    ("postgres://app:{{resolve:secretsmanager:db:SecretString:password}}@db:5432/app", []),
    ("AKIAZZZZZZZZZZZZZZZZ postgres://a:b@c", [ACCESS_KEY, URL]),
])
def test_value_detectors(value: str, expected: list[str]) -> None:
    assert value_findings(value) == expected
    assert secret_findings("PLAIN_SETTING", value) == expected


def test_value_detectors_win_over_the_name() -> None:
    assert secret_findings("DB_PASSWORD", "postgres://admin:pw@db/x") == [URL]
    assert secret_findings("JWT_PUBLIC_KEY", "-----BEGIN PRIVATE KEY-----") == [PEM_KEY]


@pytest.mark.parametrize("value", [
    "a" * 1_000_000,
    ("://" + "a" * 50 + ":") * 20_000,
    "-----BEGIN " + "A " * 500_000,
    "AKIA" * 250_000,
    "{{resolve:" + "x" * 1_000_000,
    "arn:aws:s3:::" + ":" * 1_000_000,
])
def test_huge_values_stay_fast(value: str) -> None:
    start = time.perf_counter()
    secret_findings("API_KEY", value)
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize(("props", "exempt"), [
    ({}, False),
    ({"keyUsage": "ENCRYPT_DECRYPT", "customerMasterKeySpec": "SYMMETRIC_DEFAULT"}, False),
    ({"customerMasterKeySpec": 42.0}, False),
    ({"customKeyStoreId": ""}, False),
    ({"keyUsage": "SIGN_VERIFY", "customerMasterKeySpec": "RSA_2048"}, True),
    ({"keyUsage": "ENCRYPT_DECRYPT", "customerMasterKeySpec": "RSA_4096"}, True),
    ({"customerMasterKeySpec": "ECC_NIST_P256"}, True),
    ({"customerMasterKeySpec": "ECC_SECG_P256K1"}, True),
    ({"customerMasterKeySpec": "ML_DSA_44"}, True),
    ({"customerMasterKeySpec": "SM2"}, True),
    ({"keyUsage": "GENERATE_VERIFY_MAC", "customerMasterKeySpec": "HMAC_512"}, True),
    ({"customKeyStoreId": "cks-1234567890abcdef0"}, True),
    ({"customKeyStoreId": UNKNOWN}, True),
])
def test_rotation_exemption(props: dict[str, Any], exempt: bool) -> None:
    assert (rotation_exemption(props) is not None) is exempt


def test_rotation_exemption_unknown_usage() -> None:
    assert rotation_exemption({"keyUsage": UNKNOWN}) is UNKNOWN
    assert rotation_exemption({"customerMasterKeySpec": UNKNOWN}) is UNKNOWN
    assert rotation_exemption({"keyUsage": "SIGN_VERIFY", "customerMasterKeySpec": UNKNOWN}) is not UNKNOWN


def test_rotation_fix_touches_only_keys_aws_can_rotate() -> None:
    keys = [
        {"type": "aws:kms/key:Key", "name": "symmetric", "props": {"enableKeyRotation": False}},
        {"type": "aws:kms/key:Key", "name": "signing", "props": {"keyUsage": "SIGN_VERIFY",
                                                                 "customerMasterKeySpec": "ECC_NIST_P256"}},
        {"type": "aws:kms/key:Key", "name": "hmac", "props": {"keyUsage": "GENERATE_VERIFY_MAC",
                                                              "customerMasterKeySpec": "HMAC_256"}},
        {"type": "aws:kms/key:Key", "name": "store", "props": {"customKeyStoreId": "cks-1"}},
        {"type": "aws:kms/key:Key", "name": "undecided", "props": {"keyUsage": {"$unknown": True}}},
        {"type": "aws:kms/key:Key", "name": "pending", "props": {"enableKeyRotation": {"$unknown": True}}},
        {"type": "aws:kms/key:Key", "name": "rotating", "props": {"enableKeyRotation": True}},
    ]
    outcome = run_stack(keys, policy_config={KMS: {"enforcementLevel": "remediate"}})
    turned_on = {name for name, props in outcome.remediated.items() if props.get("enableKeyRotation") is True}
    assert turned_on == {"symmetric"}
    assert not outcome.of(KMS)
