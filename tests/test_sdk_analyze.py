"""sdk_analyze's Analyze and AnalyzeStack answer exactly as the SDK's own, on the pack and on SDK features the
pack does not use.

Every fixture already goes through both (harness.analyze, harness.analyze_stack); these are the cases that
fixtures do not reach.
"""

from __future__ import annotations

import hashlib
import inspect
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from harness import build_servicer, configure, pulumi_environment, run_stack, to_struct
from pulumi.runtime.proto import analyzer_pb2 as apb
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from policypack import sdk_analyze
from policypack.registry import POLICIES

# The source of pulumi-policy 1.20.0's and 1.21.0's `Analyze` and `AnalyzeStack` (identical in both), which
# sdk_analyze follows. A new SDK version goes into CHECKED_SDK_VERSIONS only after they are compared again.
CHECKED_SOURCE_SHA256 = {
    "Analyze": "119fef03faf8c2352b73e0bd282c9b253df56a6a878881d38cb727f6d304b309",
    "AnalyzeStack": "d7729ead022bca23cb7bc91504ee6830803376f7f5dc410fb7b5d6512c7329da",
}

FUNCTION = {
    "name": "fn",
    "type": "aws:lambda/function:Function",
    "props": {"runtime": "python3.12", "handler": "index.handler", "role": {"$unknown": True},
              "code": {"$stringAsset": "def handler(event, context):\n    return {}\n"},
              "environment": {"variables": {"API_KEY": "sk_live_0123456789abcdef"}}, "memorySize": 128.0},
}


def _fingerprint(function: Any) -> str:
    return hashlib.sha256(textwrap.dedent(inspect.getsource(function)).encode()).hexdigest()


def test_the_installed_sdk_methods_are_the_ones_that_were_checked() -> None:
    assert sdk_analyze.VERSION in sdk_analyze.CHECKED_SDK_VERSIONS
    assert {"Analyze": _fingerprint(sdk_analyze.STOCK_ANALYZE),
            "AnalyzeStack": _fingerprint(sdk_analyze.STOCK_ANALYZE_STACK)} == CHECKED_SOURCE_SHA256


def test_install_leaves_the_sdk_alone_on_a_version_it_was_not_checked_against(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_PolicyAnalyzerServicer, "Analyze", sdk_analyze.STOCK_ANALYZE)
    monkeypatch.setattr(_PolicyAnalyzerServicer, "AnalyzeStack", sdk_analyze.STOCK_ANALYZE_STACK)
    monkeypatch.setattr(sdk_analyze, "VERSION", "1.22.0")
    assert sdk_analyze.install() is False
    assert _PolicyAnalyzerServicer.Analyze is sdk_analyze.STOCK_ANALYZE
    assert _PolicyAnalyzerServicer.AnalyzeStack is sdk_analyze.STOCK_ANALYZE_STACK
    monkeypatch.setattr(sdk_analyze, "VERSION", "1.21.0")
    assert sdk_analyze.install() is True
    assert _PolicyAnalyzerServicer.Analyze is sdk_analyze.analyze
    assert _PolicyAnalyzerServicer.AnalyzeStack is sdk_analyze.analyze_stack


def test_the_pack_installs_it_before_it_builds_the_pack() -> None:
    source = (Path(__file__).resolve().parent.parent / "policypack" / "pack.py").read_text(encoding="utf-8")
    assert source.index("sdk_analyze.install()") < source.index("PolicyPack(")


@pytest.mark.parametrize("level", ["disabled", "remediate", "advisory", "mandatory"])
@pytest.mark.parametrize("dry_run", [True, False])
def test_every_policy_at_one_level_answers_as_the_sdk(level: str, dry_run: bool) -> None:
    config = {policy.name: {"enforcementLevel": level} for policy in POLICIES}
    outcome = run_stack([FUNCTION], policy_config=config, dry_run=dry_run)  # harness.analyze compares the two
    found = {(d.policy, d.level) for d in outcome.diagnostics if d.resource == "fn"}
    if level == "disabled":
        assert found == set()
    else:
        assert ("lambda-function-disallow-plaintext-secrets", "mandatory" if level == "remediate" else level) in found


def _graph(resources: list[Any]) -> str:
    return "; ".join(
        f"{r.name}<{r.parent.name if r.parent else ''}>[{','.join(d.name for d in r.dependencies)}]"
        f"{{{','.join(f'{k}:' + '+'.join(d.name for d in v) for k, v in sorted(r.property_dependencies.items()))}}}"
        f"{r.opts.protect}/{r.provider.name if r.provider else ''}" for r in resources)


def _sdk_features_servicer() -> _PolicyAnalyzerServicer:
    def complain(args: Any, report: Any) -> None:
        report(f"{args.resource_type} has {len(args.props)} props")

    def unknown_role(args: Any, report: Any) -> None:
        if args.props["role"]:
            report("has a role")

    def not_applicable(args: Any, report: Any) -> None:
        args.not_applicable("never applies")

    async def later(args: Any, report: Any) -> None:
        report(f"async saw {args.get_config().get('limit')}")

    policies = [
        ResourceValidationPolicy("complain", "d", complain),
        ResourceValidationPolicy("unknown-role", "d", unknown_role),
        ResourceValidationPolicy("not-applicable", "d", not_applicable, enforcement_level=EnforcementLevel.MANDATORY),
        ResourceValidationPolicy("remediate-only", "d", remediate=lambda args: None),
        ResourceValidationPolicy("async", "d", later, enforcement_level=EnforcementLevel.REMEDIATE),
        ResourceValidationPolicy("disabled", "d", complain, enforcement_level=EnforcementLevel.DISABLED),
        StackValidationPolicy("graph", "d", lambda args, report: report(_graph(list(args.resources)))),
        StackValidationPolicy("takes-all", "d", lambda args, report: args.resources.clear()),
        StackValidationPolicy("graph-again", "d", lambda args, report: report(_graph(list(args.resources)))),
        StackValidationPolicy("unknown-stack", "d", lambda args, report: report(str(args.resources[1].props["role"]))),
        StackValidationPolicy("stack-not-applicable", "d", lambda args, report: args.not_applicable("no"),
                              enforcement_level=EnforcementLevel.REMEDIATE),
        StackValidationPolicy("stack-disabled", "d", lambda args, report: report("never"),
                              enforcement_level=EnforcementLevel.DISABLED),
    ]
    return _PolicyAnalyzerServicer("p", "1.0.0", policies, EnforcementLevel.ADVISORY)  # type: ignore[arg-type]


def test_sdk_features_the_pack_does_not_use_answer_as_the_sdk() -> None:
    servicer = _sdk_features_servicer()
    request = apb.ConfigureAnalyzerRequest()
    request.policyConfig["async"].properties.update({"limit": 3})
    request.policyConfig["async"].enforcementLevel = apb.REMEDIATE
    servicer.Configure(request, None)
    provider = apb.AnalyzerProviderResource(type="pulumi:providers:aws", urn="urn:p", name="default",
                                            properties=to_struct({"region": "eu-west-1"}))
    analyze = apb.AnalyzeRequest(type="aws:lambda/function:Function", urn="urn:fn", name="fn", provider=provider,
                                 properties=to_struct({"role": "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "n": 1.0}))
    with pulumi_environment("dev", {}, dry_run=True):
        ours = sdk_analyze.analyze(servicer, analyze, None)
        stock = sdk_analyze.STOCK_ANALYZE(servicer, analyze, None)
    assert ours == stock
    assert [(d.policyName, d.enforcementLevel) for d in ours.diagnostics] == [
        ("complain", apb.ADVISORY), ("unknown-role", apb.ADVISORY), ("async", apb.MANDATORY)]
    assert "during preview" in ours.diagnostics[1].message
    assert ours.diagnostics[2].message == "d\nasync saw 3.0"
    assert [(n.policy_name, n.reason) for n in ours.not_applicable] == [
        ("not-applicable", "never applies"), ("remediate-only", "Policy does not implement validate")]


def test_stack_features_the_pack_does_not_use_answer_as_the_sdk() -> None:
    servicer = _sdk_features_servicer()
    servicer.Configure(apb.ConfigureAnalyzerRequest(), None)
    request = apb.AnalyzeStackRequest()
    for name, parent, deps, prop_deps in [("stack", "", [], {}), ("fn", "urn:comp", ["urn:role", "urn:gone"],
                                                                   {"role": ["urn:role", "urn:gone"], "x": []}),
                                          ("role", "urn:comp", [], {}), ("comp", "urn:stack", ["urn:role"], {}),
                                          ("role", "urn:stack", [], {})]:  # a duplicate URN: the last one wins
        entry = apb.AnalyzerResource(type="t", urn=f"urn:{name}", name=name, parent=parent, dependencies=deps,
                                     properties=to_struct({"role": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}))
        entry.options.protect = name == "fn"
        if name == "fn":
            entry.provider.CopyFrom(apb.AnalyzerProviderResource(type="pulumi:providers:aws", urn="urn:p", name="p"))
        for prop, urns in prop_deps.items():
            entry.propertyDependencies[prop].urns.extend(urns)
        request.resources.append(entry)
    with pulumi_environment("dev", {}, dry_run=True):
        ours = sdk_analyze.analyze_stack(servicer, request, None)
        stock = sdk_analyze.STOCK_ANALYZE_STACK(servicer, request, None)
    assert ours == stock
    graph = "stack<>[]{}False/; fn<comp>[role]{role:role,x:}True/p; role<comp>[]{}False/; comp<stack>[role]{}False/; " \
            "role<stack>[]{}False/"
    assert [(d.policyName, d.message) for d in ours.diagnostics] == [
        ("graph", f"d\n{graph}"), ("graph-again", f"d\n{graph}"),
        ("unknown-stack", "can't run policy 'unknown-stack' from policy pack 'p@v1.0.0' during preview: "
                          "string value at .role can't be known during preview")]
    assert [(n.policy_name, n.reason) for n in ours.not_applicable] == [("stack-not-applicable", "no")]


def test_concurrent_calls_answer_as_sequential_ones() -> None:
    servicer = build_servicer()
    configure(servicer, None)
    variants = [{"runtime": "python3.12", "handler": "h", "memorySize": 20480.0 if i & 1 else 512.0,
                 **({"architectures": ["arm64"]} if i & 2 else {}),
                 **({"tracingConfig": {"mode": "Active"}} if i & 4 else {})} for i in range(8)]
    requests = [apb.AnalyzeRequest(type="aws:lambda/function:Function", urn=f"urn:fn{i}", name=f"fn{i}",
                                   properties=to_struct(props)) for i, props in enumerate(variants)] * 25
    with pulumi_environment("dev", {}, dry_run=False):
        sequential = [servicer.Analyze(r, None).SerializeToString(deterministic=True) for r in requests]
        with ThreadPoolExecutor(max_workers=4) as pool:  # the SDK's gRPC server has 4 workers
            concurrent = list(pool.map(lambda r: servicer.Analyze(r, None).SerializeToString(deterministic=True),
                                       requests))
    assert concurrent == sequential
    assert len(set(sequential)) == 8


def test_the_runtime_is_configured_again_only_when_its_environment_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    from policypack.sdk_analyze import _configure_runtime

    class Servicer:
        calls = 0

        def _configure_runtime_settings(self) -> None:
            self.calls += 1

    servicer = Servicer()
    monkeypatch.setenv("PULUMI_STACK", "dev")
    _configure_runtime(servicer)
    _configure_runtime(servicer)
    assert servicer.calls == 1
    monkeypatch.setenv("PULUMI_STACK", "prod")
    _configure_runtime(servicer)
    monkeypatch.setenv("PULUMI_CONFIG", '{"p:x": "1"}')
    _configure_runtime(servicer)
    assert servicer.calls == 3
