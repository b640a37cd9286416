"""Pulumi.yaml, stack config and PulumiPolicy.yaml read as the CLI reads them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from offline_support import MINIMAL_PACK, PROGRAMS, TAGS_PACK

from lambda_guardrails.offline.errors import CheckError
from lambda_guardrails.offline.project import (
    SECRET_PLACEHOLDER,
    default_stack,
    load_pack,
    load_program,
    load_stack_config,
)


def write_project(directory: Path, pulumi_yaml: str, stacks: dict[str, str] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(pulumi_yaml)
    (directory / "__main__.py").write_text("")
    for name, text in (stacks or {}).items():
        (directory / f"Pulumi.{name}.yaml").write_text(text)
    return directory


def test_stack_config_is_handed_over_as_the_cli_does() -> None:
    program = load_program(PROGRAMS / "shapes")
    config = load_stack_config(program, "test")
    assert config.values == {
        "aws:region": "eu-central-1",
        "aws:defaultTags": '{"tags":{"CostCenter":"1234","Environment":"staging"}}',
        "offline-shapes:replicas": "3",
        "offline-shapes:enabled": "true",
        "offline-shapes:settings": '{"size":"small","zones":["a","b"]}',
        "offline-shapes:apiKey": SECRET_PLACEHOLDER,
        "offline-shapes:owner": "platform-team",
    }
    assert config.secret_keys == ("offline-shapes:apiKey",)


def test_scalars_keep_their_written_text_and_keys_get_the_project_namespace(tmp_path: Path) -> None:
    stack = "config:\n  version: 1.10\n  proj:flag: yes\n  nested:\n    token:\n      secure: abc\n"
    program = load_program(write_project(tmp_path, "name: proj\nruntime: python\n", {"dev": stack}))
    config = load_stack_config(program, "dev")
    assert config.values["proj:version"] == "1.10"
    assert config.values["proj:flag"] == "yes"
    assert json.loads(config.values["proj:nested"]) == {"token": SECRET_PLACEHOLDER}
    assert config.secret_keys == ("proj:nested",)


def test_a_stack_without_a_file_has_only_project_config(tmp_path: Path) -> None:
    program = load_program(write_project(tmp_path, "name: p\nruntime: python\nconfig:\n  a:\n    default: 1\n"))
    assert load_stack_config(program, "ci").values == {"p:a": "1"}


@pytest.mark.parametrize(("stacks", "expected"), [({}, "dev"), ({"qa": ""}, "qa"), ({"qa": "", "prod": ""}, "dev")])
def test_default_stack(tmp_path: Path, stacks: dict[str, str], expected: str) -> None:
    assert default_stack(load_program(write_project(tmp_path, "name: p\nruntime: python\n", stacks))) == expected


def test_main_is_honoured() -> None:
    program = load_program(PROGRAMS / "custom_main")
    assert program.main == PROGRAMS / "custom_main" / "src/"
    assert program.main_file.name == "__main__.py" and program.main_file.parent.name == "src"


@pytest.mark.parametrize(
    ("pulumi_yaml", "fragment"),
    [
        (None, "Pulumi.yaml: not found"),
        ("name: p\nruntime: go\n", "runtime 'go' is not supported by the offline check (python, nodejs)"),
        ("name: p\nruntime: nodejs\n", "the program "),
        ("runtime: python\n", "'name' is missing"),
        ("name: p\nruntime: python\nmain: nowhere/\n", "main 'nowhere/' does not exist"),
        ("name: [p\n", "invalid YAML"),
    ],
)
def test_a_bad_project_names_its_file(tmp_path: Path, pulumi_yaml: str | None, fragment: str) -> None:
    if pulumi_yaml is not None:
        write_project(tmp_path, pulumi_yaml)
    with pytest.raises(CheckError) as error:
        load_program(tmp_path)
    assert fragment in str(error.value)
    assert str(tmp_path) in str(error.value)


def test_packs_are_started_as_the_cli_starts_them() -> None:
    spec = load_pack(MINIMAL_PACK)
    assert spec.version == "1.2.3"
    assert spec.command("127.0.0.1:0") == [
        sys.executable,
        "-u",
        "-m",
        "pulumi.policy",
        "127.0.0.1:0",
        str(MINIMAL_PACK),
    ]
    assert load_pack(TAGS_PACK).runtime == "python"


def test_a_directory_without_pulumipolicy_yaml_is_no_pack(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match=r"PulumiPolicy.yaml not found"):
        load_pack(tmp_path)
