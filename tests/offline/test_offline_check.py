"""The whole check, in process, against the tiny packs: the engine's part of the protocol and the report."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import jsonschema
import pytest
from offline_support import HERE, MINIMAL_PACK, PROGRAMS, TAGS_PACK, process_gone

from lambda_guardrails.offline.check import CheckOptions, run_check
from lambda_guardrails.offline.errors import CheckError
from lambda_guardrails.offline.report import Report
from lambda_guardrails.testing import check_program

REPORT_SCHEMA = json.loads((HERE.parent.parent / "docs" / "report.schema.json").read_text())
UNROTATED = PROGRAMS / "unrotated"
BASIC = PROGRAMS / "basic"
KEY_URN = "urn:pulumi:dev::offline-unrotated::aws:kms/key:Key::plain-key"
FN_URN = "urn:pulumi:dev::offline-unrotated::aws:lambda/function:Function::big-fn"
ROOT_URN = "urn:pulumi:dev::offline-unrotated::pulumi:pulumi:Stack::offline-unrotated-dev"


def check(program: Path = UNROTATED, mode: str = "update", config: dict | None = None, **kwargs: object) -> Report:
    return check_program(program, mode=mode, policy_config=config, policy_packs=[MINIMAL_PACK], **kwargs)  # type: ignore[arg-type]


def found(report: Report) -> list[tuple[str, str, str]]:
    return [(v.policy, v.enforcement_level, v.urn) for v in report.violations]


@pytest.fixture(scope="module")
def default_update() -> Report:
    return check()


def test_violations_with_the_packs_levels(default_update: Report) -> None:
    assert found(default_update) == [
        ("minimal-kms-rotation", "mandatory", KEY_URN),
        ("minimal-function-memory", "mandatory", FN_URN),
        ("minimal-stack-log-groups", "mandatory", FN_URN),
    ]
    assert default_update.exit_code == 1
    memory = default_update.violations[1]
    assert memory.severity == "medium"
    assert memory.resource_type == "aws:lambda/function:Function" and memory.resource_name == "big-fn"
    assert memory.message == "Functions stay under a memory limit.\nmemorySize is 1024 MB, above the limit of 512.0 MB."


def test_the_pack_reads_its_version_from_pulumipolicy_yaml(default_update: Report) -> None:
    assert [(p.name, p.version) for p in default_update.packs] == [("offline-minimal", "1.2.3")]
    assert default_update.resources == 4


def test_preview_unknowns_become_the_sdks_advisory() -> None:
    report = check_program(BASIC, policy_packs=MINIMAL_PACK)
    assert [(v.policy, v.enforcement_level) for v in report.violations] == [("minimal-function-kms", "advisory")]
    violation = report.violations[0]
    assert violation.urn == "urn:pulumi:dev::offline-basic::aws:lambda/function:Function::handler"
    assert "can't run policy 'minimal-function-kms'" in violation.message and "during preview" in violation.message
    assert report.exit_code == 0
    assert check_program(BASIC, mode="update", policy_packs=MINIMAL_PACK).violations == ()


def test_properties_alone_keep_a_mandatory_policy_mandatory() -> None:
    report = check(config={"minimal-function-memory": {"maxMemoryMb": 2048}, "minimal-kms-rotation": "advisory"})
    assert found(report) == [
        ("minimal-kms-rotation", "advisory", KEY_URN),
        ("minimal-stack-log-groups", "mandatory", FN_URN),
    ]


def test_all_then_policy_entries_with_enforcement_level_and_disabled() -> None:
    report = check(
        config={
            "all": "advisory",
            "minimal-kms-rotation": "disabled",
            "minimal-stack-log-groups": {"enforcementLevel": "mandatory", "groupsPerFunction": 0},
            "minimal-function-kms": "mandatory",
        }
    )
    assert found(report) == [("minimal-function-memory", "advisory", FN_URN)]
    assert report.exit_code == 0


def test_config_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "policy-config.json"
    path.write_text(json.dumps({"all": "disabled", "minimal-function-memory": "mandatory"}))
    assert found(check(config=path)) == [("minimal-function-memory", "mandatory", FN_URN)]  # type: ignore[arg-type]


def test_stack_diagnostics_without_a_urn_belong_to_the_root_stack() -> None:
    report = check(
        config={
            "all": "disabled",
            "minimal-stack-log-groups": {
                "enforcementLevel": "mandatory",
                "groupsPerFunction": 0,
                "reportOnStack": True,
            },
        }
    )
    assert found(report) == [("minimal-stack-log-groups", "mandatory", ROOT_URN)]
    assert report.violations[0].resource_type == "pulumi:pulumi:Stack"


def test_remediation_replaces_the_inputs() -> None:
    report = check(config={"minimal-kms-rotation": "remediate"})
    assert [(r.policy, r.urn, r.description) for r in report.remediations] == [
        ("minimal-kms-rotation", KEY_URN, "KMS keys rotate.")
    ]
    assert "minimal-kms-rotation" not in [v.policy for v in report.violations]


def test_each_resource_is_analysed_as_the_program_registers_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The program waits, after creating 'first', for the pack to have analysed it before it declares 'second'.
    monkeypatch.setenv("OFFLINE_TEST_ANALYSED_DIR", str(tmp_path))
    report = check(PROGRAMS / "streamed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["default_7_51_1", "first", "offline-streamed-dev", "second"]
    assert report.violations == () and report.resources == 3 and report.exit_code == 0


def test_a_config_failing_its_schema_names_policy_and_key() -> None:
    with pytest.raises(CheckError) as error:
        check(config={"minimal-function-memory": {"maxMemoryMb": 64}})
    assert str(error.value) == (
        "policy pack 'offline-minimal': config of policy 'minimal-function-memory' is invalid at key "
        "'maxMemoryMb': 64 is less than the minimum of 128 (config from policy config)"
    )


def test_packs_run_side_by_side_with_their_own_config() -> None:
    report = check_program(
        PROGRAMS / "shapes",
        stack="test",
        policy_packs=[MINIMAL_PACK, TAGS_PACK],
        policy_config=[{"all": "disabled"}, {}],
    )
    assert [(p.name, p.version) for p in report.packs] == [("offline-minimal", "1.2.3"), ("offline-tags", "0.3.0")]
    assert {(v.policy_pack, v.policy, v.resource_name) for v in report.violations} == {
        ("offline-tags", "tags-require-team", "events"),
        ("offline-tags", "tags-require-team", "svc-fn"),
    }
    message = next(v.message for v in report.violations if v.resource_name == "events")
    assert message.endswith("(urn:pulumi:test::offline-shapes::pulumi:providers:aws::default_7_51_1).")


def test_the_provider_handed_to_a_policy_is_the_resources_own() -> None:
    report = check_program(
        PROGRAMS / "shapes",
        stack="test",
        policy_packs=[TAGS_PACK],
        policy_config={"tags-require-team": {"key": "CostCenter"}},
    )
    assert [v.resource_name for v in report.violations] == ["west-key"]


def test_a_policy_that_raises_stops_the_check(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: explosive\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi_aws as aws\naws.kms.Key('explode', enable_key_rotation=True)\n"
    )
    with pytest.raises(CheckError) as error:
        check(tmp_path)
    assert str(error.value) == (
        "policy pack 'offline-minimal': Analyze of urn:pulumi:dev::explosive::aws:kms/key:Key::explode failed: "
        "Exception calling application: the policy itself failed"
    )


@pytest.mark.parametrize(
    ("program", "config"),
    [
        (UNROTATED, None),
        (PROGRAMS / "raises", None),
        (UNROTATED, {"minimal-function-memory": {"maxMemoryMb": 1}}),
    ],
    ids=["success", "program-raises", "bad-config"],
)
def test_no_pack_process_outlives_the_check(program: Path, config: dict | None) -> None:
    pids: list[int] = []
    options = CheckOptions(program, "dev", "update", [MINIMAL_PACK, TAGS_PACK], [config] if config else [])
    with contextlib.suppress(CheckError):
        run_check(options, pids)
    assert len(pids) == 2
    assert all(process_gone(pid) for pid in pids)


# --- the report's shapes --------------------------------------------------------------------------------------


def test_json_report_matches_its_schema_and_check_md(default_update: Report) -> None:
    data = json.loads(default_update.to_json())
    jsonschema.validate(data, REPORT_SCHEMA)
    assert data["summary"] == {"mandatory": 3, "advisory": 0}
    assert [(v["urn"], v["policy"]) for v in data["violations"]] == sorted(
        (v["urn"], v["policy"]) for v in data["violations"]
    )
    assert list(data) == [
        "version",
        "project",
        "stack",
        "mode",
        "policyPacks",
        "resources",
        "violations",
        "notApplicable",
        "remediations",
        "summary",
    ]


def test_sarif_has_a_rule_per_policy_and_a_result_per_violation(default_update: Report) -> None:
    sarif = default_update.to_sarif()
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert set(rules) == {
        "minimal-function-memory",
        "minimal-kms-rotation",
        "minimal-function-kms",
        "minimal-explode",
        "minimal-stack-log-groups",
    }
    memory = rules["minimal-function-memory"]
    assert memory["helpUri"] == "https://example.com/policies#minimal-function-memory"
    assert memory["help"]["text"] == "Lower memorySize."
    assert "security-severity" not in memory["properties"]  # tagged cost: a quality alert, not a security one
    assert memory["properties"]["tags"] == ["cost"]
    assert rules["minimal-stack-log-groups"]["properties"]["security-severity"] == "10.0"
    assert rules["minimal-kms-rotation"]["properties"]["security-severity"] == "8.9"
    assert rules["minimal-function-kms"]["properties"]["security-severity"] == "3.9"
    assert [r["level"] for r in run["results"]] == ["error", "error", "error"]
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"].endswith("programs/unrotated/__main__.py")
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("urn:pulumi:dev::offline-unrotated::")


def test_text_reads_like_the_policies_section(default_update: Report) -> None:
    text = default_update.to_text()
    assert text.startswith("Policies:\n    ❌ offline-minimal@v1.2.3 (local: ")
    assert "        - [mandatory]  minimal-kms-rotation  (aws:kms/key:Key: plain-key)  __main__.py:4\n" in text
    assert "          enableKeyRotation is not true.\n" in text
    assert re.search(r"Policy summary: 3 mandatory violations, 0 advisory violations on 4 resources", text)
