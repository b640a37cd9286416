"""What the capture rebuilds of the engine: URNs, providers, autonames, unknowns, references, invokes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from offline_support import SECRET_SIG, SIG, UNKNOWN, by_name, capture

from lambda_guardrails.offline import capture as capture_module
from lambda_guardrails.offline.capture import Capture, capture_process
from lambda_guardrails.offline.errors import CheckError
from lambda_guardrails.offline.project import SECRET_PLACEHOLDER, load_program, load_stack_config

PREFIX = "urn:pulumi:test::offline-shapes::"
DEFAULT_PROVIDER = f"{PREFIX}pulumi:providers:aws::default_7_51_1"


@pytest.fixture(scope="module")
def preview() -> Capture:
    return capture("shapes", "test", "preview")


@pytest.fixture(scope="module")
def update() -> Capture:
    return capture("shapes", "test", "update")


def test_urns_join_parent_types_without_the_root_stack(preview: Capture) -> None:
    urns = {r.name: r.urn for r in preview.resources}
    assert urns["offline-shapes-test"] == f"{PREFIX}pulumi:pulumi:Stack::offline-shapes-test"
    assert urns["svc-role"] == f"{PREFIX}aws:iam/role:Role::svc-role"
    assert urns["svc"] == f"{PREFIX}offline:index:Service::svc"
    assert urns["svc-fn"] == f"{PREFIX}offline:index:Service$aws:lambda/function:Function::svc-fn"
    assert urns["svc-worker-logs"] == (
        f"{PREFIX}offline:index:Service$offline:index:Worker$aws:cloudwatch/logGroup:LogGroup::svc-worker-logs"
    )


def test_parents_dependencies_and_property_dependencies(preview: Capture) -> None:
    root = preview.root
    assert preview.resources[0] is root and root.parent == ""
    assert by_name(preview, "svc-role").parent == root.urn
    assert by_name(preview, "svc-worker-logs").parent == by_name(preview, "svc-worker").urn
    fn = by_name(preview, "svc-fn")
    assert fn.property_dependencies["role"] == (by_name(preview, "svc-role").urn,)
    assert by_name(preview, "svc-role").urn in fn.dependencies


def test_stack_outputs_are_the_exports(preview: Capture, update: Capture) -> None:
    assert preview.root.outputs["account"] == "123456789012"
    assert preview.root.outputs["region"] == "eu-central-1"
    assert preview.root.outputs["partition"] == "aws"
    assert preview.root.outputs["keyArn"] == UNKNOWN
    assert re.fullmatch(r"arn:aws:kms:us-west-2:123456789012:key/[0-9a-f-]{36}", update.root.outputs["keyArn"])


def test_component_outputs_are_the_registered_ones(preview: Capture) -> None:
    assert by_name(preview, "svc").outputs == {"functionName": by_name(preview, "svc-fn").inputs["name"]}


def test_autonamed_names_are_added_to_the_inputs(preview: Capture) -> None:
    assert re.fullmatch(r"svc-role-[0-9a-f]{7}", by_name(preview, "svc-role").inputs["name"])
    assert re.fullmatch(r"alias/west-key-alias-[0-9a-f]{7}", by_name(preview, "west-key-alias").inputs["name"])
    assert by_name(preview, "svc-access").inputs["role"] == by_name(preview, "svc-role").inputs["name"]
    assert "name" not in by_name(preview, "jobs").inputs


def test_computed_outputs_are_unknown_in_preview_only(preview: Capture, update: Capture) -> None:
    for captured, known in ((preview, False), (update, True)):
        fn = by_name(captured, "svc-fn")
        assert (fn.outputs["arn"] != UNKNOWN) is known
        assert (fn.outputs["version"] != UNKNOWN) is known
        assert (fn.id != UNKNOWN) is known
        assert (by_name(captured, "jobs").outputs["name"] != UNKNOWN) is known
    assert by_name(update, "svc-fn").outputs["version"] == "$LATEST"
    assert by_name(update, "svc-fn").outputs["arn"].endswith(":function:" + by_name(update, "svc-fn").inputs["name"])


def test_inputs_built_from_computed_outputs_are_unknown_in_preview(preview: Capture, update: Capture) -> None:
    assert by_name(preview, "svc-access").inputs["policy"] == UNKNOWN
    assert by_name(preview, "svc-fn").inputs["role"] == UNKNOWN
    table_arn = by_name(update, "events").outputs["arn"]
    document = json.loads(by_name(update, "svc-access").inputs["policy"])
    assert document["Statement"][0] == {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": table_arn}
    assert by_name(update, "svc-fn").inputs["role"] == by_name(update, "svc-role").outputs["arn"]


def test_resource_references_are_downgraded_to_ids(preview: Capture, update: Capture) -> None:
    assert by_name(preview, "svc").inputs == {"role": UNKNOWN}
    assert by_name(update, "svc").inputs == {"role": by_name(update, "svc-role").id}


def test_default_provider_from_the_stacks_aws_config(preview: Capture, update: Capture) -> None:
    provider = by_name(preview, "default_7_51_1")
    assert provider.urn == DEFAULT_PROVIDER and provider.default_provider and provider.parent == ""
    assert provider.inputs == {
        "region": "eu-central-1",
        "defaultTags": '{"tags":{"CostCenter":"1234","Environment":"staging"}}',
        "version": "7.51.1",
    }
    assert by_name(preview, "svc-role").provider == f"{DEFAULT_PROVIDER}::{UNKNOWN}"
    assert by_name(update, "svc-role").provider == f"{DEFAULT_PROVIDER}::{by_name(update, 'default_7_51_1').id}"
    assert by_name(preview, "svc-role").outputs["tagsAll"] == {"CostCenter": "1234", "Environment": "staging"}
    assert by_name(preview, "svc").provider == ""


def test_explicit_provider_with_its_inputs(update: Capture) -> None:
    west = by_name(update, "west")
    key = by_name(update, "west-key")
    assert west.urn == f"{PREFIX}pulumi:providers:aws::west" and not west.default_provider
    assert west.inputs["region"] == "us-west-2"
    assert json.loads(west.inputs["defaultTags"]) == {"tags": {"Team": "west-team"}}
    assert key.provider == f"{west.urn}::{west.id}"
    assert key.outputs["tagsAll"] == {"Team": "west-team"}
    assert key.outputs["arn"].startswith("arn:aws:kms:us-west-2:")


def test_invokes_are_answered_and_rendered_as_the_provider_renders(preview: Capture) -> None:
    trust = json.loads(preview.root.outputs["trust"])
    assert trust == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AssumeFromLambda",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]},
                "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
            }
        ],
    }
    assert by_name(preview, "svc-role").inputs["assumeRolePolicy"] == preview.root.outputs["trust"]


def test_config_reaches_the_program_and_secrets_stay_secret(preview: Capture) -> None:
    assert preview.root.outputs["config"] == {
        "replicas": "3",
        "enabled": "true",
        "settings": '{"size":"small","zones":["a","b"]}',
        "owner": "platform-team",
    }
    api_key = by_name(preview, "svc-fn").inputs["environment"]["variables"]["API_KEY"]
    assert api_key == {SIG: SECRET_SIG, "value": SECRET_PLACEHOLDER}


def test_main_and_program_directory_on_sys_path() -> None:
    captured = capture("custom_main", "staging", "update")
    table = by_name(captured, "orders")
    assert table.urn == "urn:pulumi:staging::offline-custom-main::aws:dynamodb/table:Table::orders"
    assert captured.root.outputs["tableArn"].startswith("arn:aws:dynamodb:ap-southeast-2:123456789012:table/orders-")


def test_a_program_that_logs_an_error_fails(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: logs\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("import pulumi\npulumi.log.error('no region configured')\n")
    with pytest.raises(CheckError, match="logged an error: no region configured"):
        capture(tmp_path, "dev")


def test_transforms_run_as_the_engine_runs_them() -> None:
    captured = capture("transforms", "dev", "preview")
    key = by_name(captured, "key")
    assert key.inputs["tags"] == {"Owner": "me", "Team": "platform"}
    assert key.inputs["description"] == UNKNOWN
    assert by_name(captured, "logs").inputs["retentionInDays"] == 14.0
    assert "tags" not in by_name(captured, "role").inputs


def test_resources_arrive_as_registered_and_the_stack_keeps_the_engines_order(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: order\nruntime: python\n")
    # The invoke makes the default provider before the root stack's registration is answered.
    (tmp_path / "__main__.py").write_text(
        "import pulumi, pulumi_aws as aws\naws.get_caller_identity()\n"
        "queue = aws.sqs.Queue('q')\npulumi.export('url', queue.url)\n"
    )
    loaded = load_program(tmp_path)
    process = capture_process(loaded, load_stack_config(loaded, "dev"), preview=False)
    process.start()
    try:
        captured = process.result()[0]
        arrived = list(iter(process.registered.get, None))
    finally:
        process.stop()
    assert [r.type for r in captured.resources] == [
        "pulumi:pulumi:Stack", "pulumi:providers:aws", "aws:sqs/queue:Queue"]
    assert sorted(r.urn for r in arrived) == sorted(r.urn for r in captured.resources)
    # The stack's outputs are the ones it registered at the end, not the empty ones it was registered with.
    assert next(r for r in arrived if r.type == "pulumi:pulumi:Stack").outputs == {}
    assert captured.root.outputs == {"url": by_name(captured, "q").outputs["url"]}


def test_an_unreadable_registration_fails_the_capture_without_blocking_the_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Far more than a pipe holds: the program finishes only if the check keeps reading after the failure.
    (tmp_path / "Pulumi.yaml").write_text("name: unreadable\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi_aws as aws\nfor i in range(300):\n    aws.s3.Bucket(f'b{i}', tags={'Index': str(i) * 100})\n"
    )
    real = capture_module._resource

    def unreadable(record: dict) -> object:
        if record["name"] == "b1":
            raise KeyError("propertyDependencies")
        return real(record)

    monkeypatch.setattr(capture_module, "_resource", unreadable)
    with pytest.raises(CheckError, match=r"^program .*__main__.py: a registration came back unreadable: KeyError"):
        capture(tmp_path, "dev", "update")
