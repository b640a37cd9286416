"""The fixture format (tests/fixtures/README.md): bases, the merge, and overlays that state only differences."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from harness import BASES, DELETE, bases, expand, is_object, merge, run_stack

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(FIXTURES.glob("*/*/*.json"))


def based_resources() -> list[tuple[str, dict[str, Any]]]:
    return [(str(path.relative_to(FIXTURES)), resource) for path in CASES
            for resource in json.loads(path.read_text(encoding="utf-8"))["resources"] if "base" in resource]


def test_objects_merge_at_every_depth() -> None:
    base = {"a": 1, "env": {"variables": {"A": "1", "B": "2"}}}
    assert merge(base, {"env": {"variables": {"B": "3", "C": "4"}}}) == {
        "a": 1, "env": {"variables": {"A": "1", "B": "3", "C": "4"}}}
    assert base == {"a": 1, "env": {"variables": {"A": "1", "B": "2"}}}


def test_delete_removes_a_key_of_the_base() -> None:
    assert merge({"a": 1, "tags": {"Team": "t", "Env": "e"}}, {"tags": {"Team": DELETE}, "a": DELETE}) == {
        "tags": {"Env": "e"}}


@pytest.mark.parametrize("overlay", [{"missing": DELETE}, {"tags": {"Owner": DELETE}}, {"new": {"x": DELETE}}])
def test_deleting_what_the_base_lacks_is_an_error(overlay: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"\$delete of '(missing|Owner|x)'"):
        merge({"tags": {"Team": "t"}}, overlay)


@pytest.mark.parametrize(("value", "replacement"), [
    (["arm64"], ["x86_64"]),
    (["a", "b"], []),
    ({"mode": "Active"}, {"$unknown": True}),
    ({"$fileArchive": "./app"}, {"$stringAsset": "x"}),
    ({"$json": {"a": 1}}, {"$json": {"b": 2}}),
    ({"mode": "Active"}, None),
    ({"mode": "Active"}, "Active"),
    (1024, 128.0),
])
def test_lists_scalars_and_markers_replace_whole(value: Any, replacement: Any) -> None:
    assert merge({"k": value}, {"k": replacement}) == {"k": replacement}


def test_a_resource_without_base_is_taken_whole() -> None:
    resource = {"type": "aws:lambda/function:Function", "name": "fn", "props": {"tags": {"Team": DELETE}}}
    assert expand({"resources": [resource]})["resources"] == [resource]


def test_a_based_resource_takes_type_and_props_from_its_base() -> None:
    function = bases()["function"]
    (expanded,) = expand({"resources": [{"base": "function", "name": "fn", "props": {"timeout": 60}}]})["resources"]
    assert expanded == {"type": function["type"], "name": "fn", "props": {**function["props"], "timeout": 60}}


def test_an_unknown_base_is_named() -> None:
    with pytest.raises(ValueError, match=r"bases\.json: no base 'lambda'"):
        expand({"resources": [{"base": "lambda", "name": "fn"}]})


def test_every_base_is_a_type_and_props_and_is_used() -> None:
    assert all(set(base) == {"type", "props"} for base in bases().values()), BASES
    used = {resource["base"] for _, resource in based_resources()}
    assert used == set(bases())


def restated(base: Any, overlay: Any, path: str) -> list[str]:
    if not (is_object(base) and is_object(overlay)):
        return [path] if json.dumps(base) == json.dumps(overlay) else []
    return [found for key, value in overlay.items() if key in base
            for found in restated(base[key], value, f"{path}.{key}")]


def test_overlays_state_only_differences() -> None:
    found = [f"{case}: {resource['name']}{where}" for case, resource in based_resources()
             for where in restated(bases()[resource["base"]], {k: v for k, v in resource.items() if k != "base"}, "")]
    assert found == [], "values their base already has"


@pytest.mark.parametrize("name", sorted(bases()))
def test_each_base_alone_is_evaluated_without_error(name: str) -> None:
    outcome = run_stack(expand({"resources": [{"base": name, "name": "r"}]})["resources"])
    assert not any("could not evaluate" in d.message for d in outcome.diagnostics), outcome.diagnostics
