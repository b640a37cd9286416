"""docs/check.md is the offline check's contract: its flags are the command's flags, and its example report is
a report by the schema beside it."""

from __future__ import annotations

import json
import re

import jsonschema
from offline_support import REPO

from lambda_guardrails.offline.cli import build_parser

CONTRACT = (REPO / "docs" / "check.md").read_text(encoding="utf-8")
SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text(encoding="utf-8"))


def documented_flags() -> set[str]:
    synopsis = re.search(r"## Command line\n\n```\n(.*?)```", CONTRACT, re.DOTALL)
    assert synopsis
    return set(re.findall(r"--[a-z-]+", synopsis.group(1)))


def test_the_synopsis_names_every_flag_of_the_command_and_no_other() -> None:
    flags = {option for action in build_parser()._actions for option in action.option_strings
             if option.startswith("--") and option != "--help"}
    assert documented_flags() == flags


def test_every_flag_has_its_paragraph() -> None:
    for flag in documented_flags():
        assert re.search(rf"^- .*`{flag}[ `]", CONTRACT, re.MULTILINE), flag


def test_the_example_report_is_valid_by_the_schema() -> None:
    example = re.search(r"## JSON report.*?```json\n(.*?)```", CONTRACT, re.DOTALL)
    assert example
    jsonschema.validate(json.loads(example.group(1)), SCHEMA)

