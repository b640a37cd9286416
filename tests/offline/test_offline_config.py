"""Policy config reconciled as the engine does, and validated against each policy's schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambda_guardrails.offline import config
from lambda_guardrails.offline.errors import CheckError

POLICIES = [
    config.PolicySchema(
        "memory",
        "mandatory",
        {"maxMemoryMb": {"type": "integer", "minimum": 128, "default": 512}, "note": {"type": "string"}},
    ),
    config.PolicySchema("tracing", "advisory"),
    config.PolicySchema(
        "exempt",
        "mandatory",
        {
            "exemptions": {
                "type": "array",
                "items": {"type": "object", "required": ["resource", "reason"]},
                "default": [],
            }
        },
        required=("owner",),
    ),
]


def reconcile(*layers: dict) -> dict[str, config.PolicyConfig]:
    return config.reconcile(POLICIES, [config.parse(layer, "test") for layer in layers])


def test_schema_defaults_and_policy_levels_come_first() -> None:
    result = reconcile()
    assert result["memory"] == config.PolicyConfig("mandatory", {"maxMemoryMb": 512})
    assert result["tracing"] == config.PolicyConfig("advisory", {})
    assert result["exempt"].properties == {"exemptions": []}


def test_all_applies_before_the_policy_entries_of_the_same_layer() -> None:
    result = reconcile({"tracing": "mandatory", "all": "advisory"})
    assert result["memory"].level == "advisory"
    assert result["tracing"].level == "mandatory"


def test_a_later_layer_wins_and_properties_merge() -> None:
    initial = {"memory": {"maxMemoryMb": 1024, "note": "from the pack"}}
    file = {"memory": {"enforcementLevel": "advisory", "maxMemoryMb": 2048}, "tracing": "disabled"}
    result = reconcile(initial, file)
    assert result["memory"] == config.PolicyConfig("advisory", {"maxMemoryMb": 2048, "note": "from the pack"})
    assert result["tracing"].level == "disabled"


def test_properties_alone_keep_the_policys_level() -> None:
    assert reconcile({"memory": {"maxMemoryMb": 256}})["memory"].level == "mandatory"


def test_every_policy_has_an_entry_with_a_level() -> None:
    result = reconcile({"all": "remediate"})
    # The engine sends `all` to Configure as an entry of its own (applyConfig, pkg/resource/analyzer/config.go).
    assert set(result) == {"memory", "tracing", "exempt", "all"}
    assert {c.level for c in result.values()} == {"remediate"}


def test_unknown_policy_names_are_reported_and_passed_on_as_the_engine_does() -> None:
    layer = config.parse({"memroy": "disabled", "all": "advisory"}, "test")
    assert config.unknown_policies(POLICIES, layer) == ["memroy"]
    result = config.reconcile(POLICIES, [layer])
    assert result["memroy"] == config.PolicyConfig("disabled", {})
    config.check_levels("pack", result, "test")


@pytest.mark.parametrize("name", ["memroy", "all"])
def test_a_name_that_is_no_policy_with_properties_but_no_level_is_refused(name: str) -> None:
    result = reconcile({name: {"maxMemoryMb": 256}})
    assert result[name] == config.PolicyConfig("", {"maxMemoryMb": 256})
    with pytest.raises(CheckError) as error:
        config.check_levels("pack", result, "cfg.json")
    assert str(error.value) == (
        'configuring policy pack "pack": invalid enforcement level "" '
        f"(cfg.json: '{name}' is no policy of the pack and sets no enforcementLevel)"
    )


def test_a_known_policy_with_properties_but_no_level_keeps_its_level() -> None:
    config.check_levels("pack", reconcile({"memory": {"maxMemoryMb": 256}}), "cfg.json")


def test_a_version_2_file_nests_the_policies() -> None:
    layer = config.parse({"version": 2, "policies": {"all": "advisory", "memory": {"maxMemoryMb": 256}}}, "test")
    assert layer == {"all": config.Entry("advisory"), "memory": config.Entry(None, {"maxMemoryMb": 256})}


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"version": 3, "policies": {}}, "test: policy pack config version 3 isn't supported"),
        ({"version": 1, "policies": {}}, 'test: "version" must be 2'),
        ({"version": 2, "exceptions": {"e1": {}}}, "test: 'exceptions' (policy exceptions of the Pulumi CLI)"),
        ({"version": 2, "policies": []}, "test: 'policies' must be a JSON object"),
        ({"environments": ["org/env"]}, "test: 'environments' names Pulumi ESC environments"),
        ({"version": 2, "environments": ["org/env"]}, "test: 'environments' names Pulumi ESC environments"),
    ],
)
def test_what_the_offline_check_cannot_read_of_a_config_file_is_named(data: dict, fragment: str) -> None:
    with pytest.raises(CheckError) as error:
        config.parse(data, "test")
    assert str(error.value).startswith(fragment)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"memory": "blocking"}, "'memory': 'blocking' is not a valid enforcement level"),
        ({"memory": {"enforcementLevel": 1}}, "enforcementLevel must be a string"),
        ({"memory": 3}, "'memory': 3 is not an enforcement level or an object"),
        (["memory"], "must be a JSON object"),
    ],
)
def test_malformed_config_names_the_policy(data: object, fragment: str) -> None:
    with pytest.raises(CheckError, match=r"^test: ") as error:
        config.parse(data, "test")
    assert fragment in str(error.value)


def test_a_file_that_is_not_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "policy-config.json"
    path.write_text("{not json")
    with pytest.raises(CheckError, match=r"policy-config\.json: invalid JSON"):
        config.load_file(path)


def test_a_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match=r"nope\.json: cannot be read"):
        config.load_file(tmp_path / "nope.json")


def validate(*layers: dict) -> None:
    config.validate("pack", POLICIES, reconcile(*layers), "cfg.json")


def test_valid_config_passes() -> None:
    validate({"memory": {"maxMemoryMb": 1024}, "exempt": {"owner": "team"}})


@pytest.mark.parametrize(
    ("layer", "policy", "key"),
    [
        ({"memory": {"maxMemoryMb": 64}, "exempt": {"owner": "t"}}, "memory", "maxMemoryMb"),
        ({"memory": {"maxMemoryMb": "big"}, "exempt": {"owner": "t"}}, "memory", "maxMemoryMb"),
        ({}, "exempt", "owner"),
        ({"exempt": {"owner": "t", "exemptions": [{"resource": "x"}]}}, "exempt", "exemptions[0].reason"),
    ],
)
def test_schema_failures_name_pack_policy_and_key(layer: dict, policy: str, key: str) -> None:
    with pytest.raises(CheckError) as error:
        validate(layer)
    message = str(error.value)
    assert f"policy pack 'pack': config of policy '{policy}' is invalid at key '{key}'" in message
    assert "cfg.json" in message
    assert "\n" not in message


def test_an_invalid_schema_names_the_policy() -> None:
    broken = [config.PolicySchema("odd", "advisory", {"x": {"type": "no-such-type"}})]
    with pytest.raises(CheckError, match="policy 'odd' has an invalid config schema"):
        config.validate("pack", broken, config.reconcile(broken, []), "")


def test_the_file_format_round_trips_through_json(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"all": "mandatory", "memory": {"maxMemoryMb": 256}}))
    layer = config.load_file(path)
    assert layer == {"all": config.Entry("mandatory"), "memory": config.Entry(None, {"maxMemoryMb": 256})}


def test_initial_config_without_a_level_reads_as_advisory_as_in_the_engine() -> None:
    from pulumi.runtime.proto import analyzer_pb2 as apb

    from lambda_guardrails.offline.engine import _initial_layer

    info = apb.AnalyzerInfo(name="pack")
    info.initialConfig["memory"].properties.update({"maxMemoryMb": 1024})
    info.initialConfig["tracing"].enforcementLevel = apb.MANDATORY
    layer, warnings = _initial_layer(info)
    assert layer == {
        "memory": config.Entry("advisory", {"maxMemoryMb": 1024.0}),
        "tracing": config.Entry("mandatory", {}),
    }
    assert warnings == [
        "policy pack 'pack': initial config of 'memory' sets no enforcement level, which the engine reads as advisory"
    ]
