"""The detectors of lambda-function-disallow-plaintext-secrets, and what kms-key-enable-rotation may rotate, called
directly: which names and values count as secrets, which references do not, and that huge values stay fast."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import re2
from detect_secrets.plugins.base import RegexBasedDetector
from harness import run_stack

from policypack.data.secret_patterns import PATTERNS
from policypack.encryption import rotation_exemption
from policypack.env_secrets import is_reference, is_secret_name, secret_findings, value_findings
from policypack.values import UNKNOWN

SCRIPTS = Path(__file__).parent.parent / "scripts"
sys.path.insert(0, str(SCRIPTS))
from gen_secret_patterns import detectors  # noqa: E402

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


def ex(prefix: str, length: int, alphabet: str = "Ex4mple") -> str:
    return prefix + (alphabet * length)[:length]


TOKENS = [  # (value, label): the formats, fake but well-formed
    ("xoxb-263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1", "a Slack Token"),
    ("https://hooks.slack.com/services/T0EXAMPLE/B0EXAMPLE/EXAMPLEexampleEXAMPLE12", "a Slack Token"),
    (ex("ghp_", 36), "a GitHub Token"),
    (ex("github_pat_", 82, "11Ex4mple_"), "a GitHub Token"),
    (ex("glpat-", 20), "a GitLab Token"),
    (ex("sk_live_", 24), "a Stripe Access Key"),
    (ex("rk_live_", 24), "a Stripe Access Key"),
    (ex("AIza", 35, "Sy_Ex4mple-"), "a Google API Key"),
    (ex("SK", 32, "0123456789abcdef"), "a Twilio API Key"),
    ("SG." + ex("", 22) + "." + ex("", 43), "a SendGrid API Key"),
    (ex("npm_", 36), "an npm access token"),
    ("//registry.example.com/:_authToken=" + ex("npm_", 36), "an npm access token"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.Ex4mpleSignatureEx4mple", "a JSON Web Token"),
    ("PuTTY-User-Key-File-2: ssh-rsa", PEM_KEY),
    ("-----BEGIN DSA PRIVATE KEY-----", PEM_KEY),
]
NEAR_MISSES = [
    "3f2504e0-4f89-11d3-9a0c-0305e82c3301",  # a UUID
    "9fceb02d0ae598e95dc970b74767f19372d61af8",  # a git SHA
    "sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
    ex("sk_test_", 24),
    ex("AIza", 34, "Sy_Ex4mple-"),
    ex("ghp_", 35),
    "xoxb-general",
    "eyJhbGciOiJIUzI1NiJ9",
    ex("SK", 32, "0123456789ABCDEF"),
    "SG.short.token",
    "npm_install",
    "https://hooks.slack.com/",
]


@pytest.mark.parametrize(("value", "label"), TOKENS)
def test_token_formats_under_neutral_names(value: str, label: str) -> None:
    assert secret_findings("SETTING", value) == [label]
    assert secret_findings("SETTING", f"prefix {value} suffix") == [label]


@pytest.mark.parametrize("value", NEAR_MISSES)
def test_near_misses_under_neutral_names(value: str) -> None:
    assert secret_findings("REQUEST_ID", value) == []


def scanner_finds(value: str) -> set[str]:
    return {cls.__name__ for cls in detectors() if list(cls().analyze_string(value))}


def table_finds(value: str) -> set[str]:
    return {name for name, _, pattern in PATTERNS if re2.search(pattern, value)}


# Where the table is stricter than the scanner: fixed-shape tokens match whole, not inside a longer run.
WHOLE_TOKEN_MISSES = ["X" + ex("AKIA", 16, "Z") + "Q", ex("ghp_", 40), ex("SK", 33, "0123456789abcdef")]


@pytest.mark.parametrize("value", [value for value, _ in TOKENS] + NEAR_MISSES + WHOLE_TOKEN_MISSES)
def test_the_table_finds_what_detect_secrets_finds(value: str) -> None:
    expected = scanner_finds(value) - ({"AWSKeyDetector", "GitHubTokenDetector", "TwilioKeyDetector"}
                                       if value in WHOLE_TOKEN_MISSES else set())
    assert table_finds(value) == expected


def test_every_regex_detector_of_detect_secrets_is_generated_or_left_out_by_name() -> None:
    generated = {name for name, _, _ in PATTERNS}
    from gen_secret_patterns import EXCLUDED

    assert {cls.__name__ for cls in detectors()} == generated | set(EXCLUDED)
    assert all(issubclass(cls, RegexBasedDetector) for cls in detectors())


def test_the_generated_secret_patterns_match_the_installed_scanner() -> None:
    result = subprocess.run([sys.executable, str(SCRIPTS / "gen_secret_patterns.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, "policypack/data/secret_patterns.py is stale: run scripts/gen_secret_patterns.py"


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


def test_the_offline_check_finds_a_token_under_a_neutral_name_and_never_shows_it(tmp_path: Path) -> None:
    from lambda_guardrails.testing import check_program

    token = TOKENS[0][0]
    (tmp_path / "Pulumi.yaml").write_text("name: tokens\nruntime: python\n", encoding="utf-8")
    (tmp_path / "__main__.py").write_text(
        "import pulumi_aws as aws\n"
        f'aws.lambda_.Function("fn", role="arn:aws:iam::123456789012:role/r", runtime="python3.12", '
        f'handler="index.handler", s3_bucket="b", s3_key="k", environment={{"variables": {{'
        f'"SLACK_VERIFICATION_CODE": "{token}", "REQUEST_ID": "{NEAR_MISSES[0]}", '
        f'"BUILD_COMMIT": "{NEAR_MISSES[1]}"}}}})\n', encoding="utf-8")
    report = check_program(tmp_path, stack="dev")
    found = [v for v in report.violations if v.policy == "lambda-function-disallow-plaintext-secrets"]
    assert [(v.resource_name, v.enforcement_level) for v in found] == [("fn", "mandatory")]
    assert '"SLACK_VERIFICATION_CODE" holds a Slack Token' in found[0].message
    assert not any(token in v.message or "xoxb" in v.message for v in report.violations)
