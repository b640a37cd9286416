"""The taggable types come from the pulumi_aws SDK (scripts/gen_taggable.py), not from a hand-typed list."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lambda_guardrails.offline import aws_mock
from policypack import aws
from policypack.data import taggable


def test_the_generated_taggable_table_matches_the_installed_sdk() -> None:
    generator = Path(__file__).parent.parent / "scripts" / "gen_taggable.py"
    result = subprocess.run([sys.executable, str(generator), "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, "policypack/data/taggable.py is stale: run scripts/gen_taggable.py"


def test_the_pack_and_the_offline_provider_share_the_table() -> None:
    assert aws.TAGGABLE is taggable.TYPES is aws_mock.TAGGABLE
    assert "aws:ecs/service:Service" in aws.TAGGABLE
    assert not {"aws:lambda/layerVersion:LayerVersion", "aws:autoscaling/group:Group", aws.ROLE_POLICY} & aws.TAGGABLE


def test_the_offline_check_fails_an_untagged_type_only_the_sdk_calls_taggable(tmp_path: Path) -> None:
    from lambda_guardrails.testing import check_program

    (tmp_path / "Pulumi.yaml").write_text("name: tags\nruntime: python\n", encoding="utf-8")
    (tmp_path / "__main__.py").write_text(
        "import pulumi_aws as aws\n"
        'aws.ecs.Cluster("cluster")\n'
        'aws.lambda_.LayerVersion("layer", layer_name="deps", s3_bucket="b", s3_key="k")\n', encoding="utf-8")
    report = check_program(tmp_path, stack="dev")
    found = sorted((v.policy, v.resource_name, v.enforcement_level) for v in report.violations
                   if v.policy == "aws-resource-require-tags")
    assert found == [("aws-resource-require-tags", "cluster", "mandatory")]
