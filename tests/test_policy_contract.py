"""Every policy's obligations, in one place: fixtures good and bad, its guide section and catalogue row, its row
in the contract, the unknown-at-preview row of a mandatory policy, and a config schema that validates. A failure
names the file to add or change."""

from __future__ import annotations

import ast
from pathlib import Path

import jsonschema
import pytest
from test_unknowns import ROWS

from policypack.framework import EnforcementLevel, GuardResourcePolicy, GuardStackPolicy
from policypack.registry import PACK_ROOT, POLICIES

FIXTURES = Path(__file__).parent / "fixtures"
DOCS = PACK_ROOT / "docs"
Policy = GuardResourcePolicy | GuardStackPolicy


def obligations(policy: Policy) -> list[str]:
    """What is missing for `policy`, each as the change that would supply it."""
    name, meta = policy.name, policy.meta
    missing = [f"add tests/fixtures/{name}/{kind}/<case>.json ({what}; see tests/fixtures/README.md)"
               for kind, what in (("good", "a compliant case"), ("bad", "a case it must report"))
               if not list((FIXTURES / name / kind).glob("*.json"))]
    guide = meta.guide
    if guide is None or not (guide.why and guide.failing and guide.compliant):
        missing.append(f"give {name} a Guide with why, failing and compliant in {module_of(policy)}")
    else:
        for field in ("failing", "compliant"):
            try:
                ast.parse(getattr(guide, field))
            except SyntaxError as exc:
                missing.append(f"make Guide.{field} of {name} in {module_of(policy)} valid Python ({exc.msg})")
    if f'<a id="{name}"></a>' not in (DOCS / "remediation.md").read_text(encoding="utf-8"):
        missing.append("run `python -m policypack docs --write`: docs/remediation.md has no section for it")
    if f"| [{name}](remediation.md#{name}) |" not in (DOCS / "catalogue.md").read_text(encoding="utf-8"):
        missing.append("run `python -m policypack docs --write`: docs/catalogue.md has no row for it")
    if f"| {name} | " not in (DOCS / "policies.md").read_text(encoding="utf-8"):
        missing.append(f"add its row to the contract table in docs/policies.md (| N | {name} | kind | ...)")
    if meta.level == EnforcementLevel.MANDATORY and name not in {row[0] for row in ROWS}:
        missing.append(f"add tests/fixtures/{name}/unknown/<property>.json: a mandatory policy says what it does "
                       "with each property it reads when that property is unknown at preview")
    missing += [f"fix the config schema of {name} in {module_of(policy)}: {problem}"
                for problem in schema_problems(policy)]
    return missing


def schema_problems(policy: Policy) -> list[str]:
    schema = {"type": "object", "properties": policy.meta.schema_properties()}
    try:
        jsonschema.Draft7Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        return [exc.message]
    validator = jsonschema.Draft7Validator(schema)
    return [f"its defaults fail it: {error.message}" for error in validator.iter_errors(dict(policy.meta.defaults()))]


def module_of(policy: Policy) -> str:
    check = getattr(policy, "check", None) or getattr(policy, "_check", None)
    module = getattr(check, "__module__", "") or ""
    return module.replace(".", "/") + ".py" if module else "its policypack module"


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_obligation_of_the_policy_is_met(policy: Policy) -> None:
    assert obligations(policy) == []


def test_a_policy_with_nothing_but_its_metadata_is_told_each_file_to_add() -> None:
    from policypack.framework import Guide, Meta, Severity, resource_policy

    bare = resource_policy(Meta(name="lambda-function-require-nothing", description="Nothing.",
                                level=EnforcementLevel.MANDATORY, severity=Severity.LOW, tags=("lambda",),
                                remediation_steps="None.", types=("aws:lambda/function:Function",),
                                config={"limit": {"type": "integer", "default": "ten"}},
                                guide=Guide(why="None.", failing="x = (", compliant="x = 1")), lambda r: None)
    found = obligations(bare)
    assert [line.split(" ", 2)[:2] for line in found] == [
        ["add", "tests/fixtures/lambda-function-require-nothing/good/<case>.json"],
        ["add", "tests/fixtures/lambda-function-require-nothing/bad/<case>.json"],
        ["make", "Guide.failing"],
        ["run", "`python"], ["run", "`python"],
        ["add", "its"],
        ["add", "tests/fixtures/lambda-function-require-nothing/unknown/<property>.json:"],
        ["fix", "the"],
    ]
    assert "its defaults fail it: 'ten' is not of type 'integer'" in found[-1]
