"""The pack as a whole: registry, metadata, catalogue agreement, fixtures present, and the real pack process."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, json_format
from harness import to_struct
from pulumi.runtime.proto import analyzer_pb2 as apb
from pulumi.runtime.proto import analyzer_pb2_grpc as agrpc

import policypack
from policypack.framework import GuardResourcePolicy, GuardStackPolicy
from policypack.registry import PACK_DESCRIPTION, PACK_NAME, PACK_ROOT, PACK_VERSION, POLICIES

CONTRACT = PACK_ROOT / "docs" / "policies.md"
FIXTURES = Path(__file__).parent / "fixtures"
VERBS = ("require", "disallow", "restrict", "enable", "configure", "match")
BY_NAME = {policy.name: policy for policy in POLICIES}


def contract_rows(path: Path = CONTRACT) -> list[tuple[str, str, str, str]]:
    rows = re.findall(r"^\| (\d+) \| ([a-z0-9-]+) \| (resource|stack) \| (\w+) \| (\w+) \|", path.read_text(),
                      re.MULTILINE)
    return [(name, kind, level, severity) for _, name, kind, level, severity in rows]


def test_every_policy_defined_is_registered_once() -> None:
    defined = []
    for module in pkgutil.iter_modules(policypack.__path__):
        loaded = importlib.import_module(f"policypack.{module.name}")
        candidates = [*vars(loaded).get("POLICIES", ()), *vars(loaded).values()]
        defined += [value for value in candidates if isinstance(value, GuardResourcePolicy | GuardStackPolicy)]
    assert {id(policy) for policy in defined} <= {id(policy) for policy in POLICIES}
    assert len(BY_NAME) == len(POLICIES)


def test_registered_policies_match_the_contract() -> None:
    listed = contract_rows()
    rows = {name: (kind, level, severity) for name, kind, level, severity in listed}
    numbers = [int(n) for n in re.findall(r"^\| (\d+) \| [a-z0-9-]+ \|", CONTRACT.read_text(), re.MULTILINE)]
    assert numbers == list(range(1, len(POLICIES) + 1))
    assert len(rows) == len(listed) == len(POLICIES)
    for policy in POLICIES:
        kind = "stack" if isinstance(policy, GuardStackPolicy) else "resource"
        assert rows[policy.name] == (kind, policy.meta.level.value, policy.meta.severity.value), policy.name


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_name_follows_the_convention(policy: GuardResourcePolicy | GuardStackPolicy) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name)
    assert any(f"-{verb}-" in f"{policy.name}-" for verb in VERBS), policy.name


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_metadata_is_complete(policy: GuardResourcePolicy | GuardStackPolicy) -> None:
    meta = policy.meta
    assert meta.description.endswith(".") and "\n" not in meta.description
    assert meta.tags and meta.remediation_steps and policy.url == meta.url and meta.url.endswith(f"#{meta.name}")
    assert policy.severity == meta.severity and policy.tags == list(meta.tags)
    assert meta.guide is not None and meta.guide.why and meta.guide.links
    ast.parse(meta.guide.failing)
    ast.parse(meta.guide.compliant)
    for key, schema in meta.schema_properties().items():
        assert "default" in schema and "type" in schema and schema.get("description"), key


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_policy_has_good_and_bad_fixtures(policy: GuardResourcePolicy | GuardStackPolicy) -> None:
    for kind in ("good", "bad"):
        assert list((FIXTURES / policy.name / kind).glob("*.json")), f"{policy.name}/{kind}"


def test_fixture_folders_name_registered_policies() -> None:
    assert {folder.name for folder in FIXTURES.iterdir() if folder.is_dir()} <= set(BY_NAME)


def test_no_module_shadows_the_standard_library() -> None:
    top_level = {path.stem for path in PACK_ROOT.iterdir() if path.suffix == ".py" or (path / "__init__.py").exists()}
    top_level |= {path.name for path in PACK_ROOT.iterdir() if path.is_dir() and not path.name.startswith(".")}
    package = {module.name for module in pkgutil.iter_modules(policypack.__path__)}
    assert not (top_level | package) & (set(sys.stdlib_module_names) - {"__main__"})


def test_pulumi_policy_yaml_holds_the_version() -> None:
    manifest = yaml.safe_load((PACK_ROOT / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    assert manifest["version"] == PACK_VERSION and re.fullmatch(r"\d+\.\d+\.\d+", PACK_VERSION)
    assert manifest["description"] == PACK_DESCRIPTION


@pytest.fixture(scope="module")
def pack_channel():
    """The pack started exactly as the Pulumi CLI starts it."""
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(PACK_ROOT)],
        cwd=PACK_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        port = process.stdout.readline().strip() if process.stdout else ""
        assert port.isdigit(), process.stderr.read() if process.stderr else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield agrpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.communicate()


def test_pack_process_lists_exactly_the_registered_policies(pack_channel: agrpc.AnalyzerStub) -> None:
    info = pack_channel.GetAnalyzerInfo(empty_pb2.Empty(), timeout=10)
    assert info.name == PACK_NAME
    assert [p.name for p in info.policies] == [p.name for p in POLICIES]
    for listed in info.policies:
        policy = BY_NAME[listed.name]
        assert apb.EnforcementLevel.Name(listed.enforcementLevel).lower() == policy.meta.level.value
        assert apb.PolicySeverity.Name(listed.severity) == f"POLICY_SEVERITY_{policy.meta.severity.name}"
        assert list(listed.tags) == list(policy.meta.tags)
        assert listed.remediation_steps == policy.meta.remediation_steps and listed.url == policy.meta.url
        schema = json_format.MessageToDict(listed.configSchema.properties)
        assert {key: value.get("default") for key, value in schema.items()} == policy.meta.defaults()


def test_pack_process_analyzes_a_resource(pack_channel: agrpc.AnalyzerStub) -> None:
    request = apb.ConfigureAnalyzerRequest()
    for policy in POLICIES:
        request.policyConfig[policy.name].enforcementLevel = apb.EnforcementLevel.Value(policy.meta.level.name)
    pack_channel.Configure(request, timeout=10)
    props = {"name": "fn-dev", "reservedConcurrentExecutions": 100, "tags": {"Team": "payments"}}
    response = pack_channel.Analyze(apb.AnalyzeRequest(
        type="aws:lambda/function:Function", name="fn", urn="urn:pulumi:dev::p::aws:lambda/function:Function::fn",
        properties=to_struct(props),
    ), timeout=10)
    found = {(d.policyName, apb.EnforcementLevel.Name(d.enforcementLevel)) for d in response.diagnostics}
    assert ("lambda-reserved-concurrency-restrict-per-function", "MANDATORY") in found
    assert ("aws-resource-require-tags", "MANDATORY") in found


def test_plain_reads_the_sdks_proxies_with_their_unknowns() -> None:
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

    from policypack.values import UNKNOWN, plain

    props = unknown_checking_proxy({"a": {"b": [UNKNOWN_STRING_VALUE, 1.0, {"c": UNKNOWN_STRING_VALUE}]},
                                    "d": UNKNOWN_STRING_VALUE, "e": "text", "f": None, "g": True})
    assert plain(props) == {"a": {"b": [UNKNOWN, 1.0, {"c": UNKNOWN}]}, "d": UNKNOWN, "e": "text", "f": None,
                            "g": True}
