"""The offline check against hostile or broken input: config the pack refuses, names the CLI refuses, unreadable
files, duplicate URNs, odd --output targets, killed runs, control characters; each is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from offline_support import REPO, run_cli

REFERENCE = str(REPO / "reference_stack")


@pytest.mark.parametrize(("config", "expected"), [
    ({"aws-resource-require-tags": {"exemptions": [{"resource": "x", "reason": "r", "expires": "2020-02-30"}]}},
     "policy 'aws-resource-require-tags': invalid config at key 'exemptions[0].expires': \"2020-02-30\" is not a date"),
    ({"aws-resource-name-restrict-suffix-format": {"suffixPattern": "^(prod"}},
     "policy 'aws-resource-name-restrict-suffix-format': invalid config at key 'suffixPattern': \"^(prod\" is not a "
     "valid regex (RE2 syntax): missing ): ^(prod"),
])
def test_config_the_pack_refuses_is_exit_2_naming_policy_and_key(tmp_path: Path, config: dict[str, object],
                                                                  expected: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    result = run_cli(REFERENCE, "--policy-pack-config", str(path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    assert result.stdout == ""
