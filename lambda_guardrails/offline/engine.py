"""Plays the engine's part of the Analyzer protocol against policy pack processes started as the CLI starts them."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as apb
from pulumi.runtime.proto import analyzer_pb2_grpc as agrpc

from . import aws_mock, requests
from . import config as pconfig
from .capture import Capture, CapturedResource
from .errors import CheckError
from .pack_process import ENGINE_ADDRESS, PackProcess, RunContext
from .report import NotApplicable, PackInfo, PolicyMeta, Remediation, Violation
from .wire import Wire

RPC_TIMEOUT: Final = 300.0
GRPC_OPTIONS: Final = [
    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
    ("grpc.max_send_message_length", 400 * 1024 * 1024),
]
LEVELS: Final = {
    "advisory": apb.ADVISORY,
    "mandatory": apb.MANDATORY,
    "remediate": apb.REMEDIATE,
    "disabled": apb.DISABLED,
}
LEVEL_NAMES: Final = {value: name for name, value in LEVELS.items()}
SEVERITIES: Final = {
    apb.POLICY_SEVERITY_LOW: "low",
    apb.POLICY_SEVERITY_MEDIUM: "medium",
    apb.POLICY_SEVERITY_HIGH: "high",
    apb.POLICY_SEVERITY_CRITICAL: "critical",
}

T = TypeVar("T")


def _dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    return dict(json_format.MessageToDict(struct))


def _whole_numbers(value: Any) -> Any:
    """Struct numbers are floats; a schema's `128.0` reads better as the `128` its author wrote."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    return value


def _policy_schema(info: apb.PolicyInfo) -> pconfig.PolicySchema:
    return pconfig.PolicySchema(
        name=info.name,
        level=LEVEL_NAMES.get(info.enforcementLevel, "advisory"),
        properties=_whole_numbers(_dict(info.configSchema.properties)),
        required=tuple(info.configSchema.required),
    )


def _initial_layer(info: apb.AnalyzerInfo) -> tuple[dict[str, pconfig.Entry], list[str]]:
    """The pack's initial config as the engine reads it; the proto has no "unset" level, so 0 means advisory."""
    layer: dict[str, pconfig.Entry] = {}
    warnings: list[str] = []
    for name, value in info.initialConfig.items():
        level = LEVEL_NAMES.get(value.enforcementLevel, "advisory")
        properties = _dict(value.properties)
        if value.enforcementLevel == apb.ADVISORY and properties:
            warnings.append(
                f"policy pack '{info.name}': initial config of '{name}' sets no enforcement level, which the engine "
                "reads as advisory"
            )
        layer[name] = pconfig.Entry(level, properties)
    return layer, warnings


class PackSession:
    """A started, configured pack: what the engine knows about it after GetAnalyzerInfo and Configure."""

    def __init__(self, process: PackProcess, port: int) -> None:
        self.process = process
        self.spec = process.spec
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=GRPC_OPTIONS)
        self.stub = agrpc.AnalyzerStub(self.channel)
        self.info = apb.AnalyzerInfo()
        self.config: dict[str, pconfig.PolicyConfig] = {}
        self.warnings: list[str] = []

    @property
    def name(self) -> str:
        return self.info.name or str(self.spec.directory)

    def call(self, what: str, method: Callable[..., T], request: Any) -> T:
        try:
            return method(request, timeout=RPC_TIMEOUT)
        except grpc.RpcError as exc:
            details = exc.details() if hasattr(exc, "details") else str(exc)
            reason = " ".join(str(details).split()) or str(exc.code())
            died = self.process.last_error()
            suffix = f" (pack stderr: {died})" if died and died not in reason else ""
            raise CheckError(
                f"policy pack '{self.name}': {what} failed: {reason}{suffix}", self.process.stderr()
            ) from exc

    def _optional(self, what: str, method: Callable[..., Any], request: Any) -> None:
        try:
            method(request, timeout=RPC_TIMEOUT)
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                self.call(what, method, request)

    def configure(self, context: RunContext, file_layer: pconfig.Layer, source: str) -> None:
        directory = str(self.spec.directory)
        self._optional(
            "Handshake",
            self.stub.Handshake,
            apb.AnalyzerHandshakeRequest(
                engine_address=ENGINE_ADDRESS, root_directory=directory, program_directory=directory
            ),
        )
        self._optional(
            "ConfigureStack",
            self.stub.ConfigureStack,
            apb.AnalyzerStackConfigureRequest(
                stack=context.stack,
                project=context.project,
                organization=context.organization,
                dry_run=context.preview,
                config=dict(context.config),
                config_secret_keys=list(context.secret_keys),
                tags=dict(context.tags),
            ),
        )
        self.info = self.call("GetAnalyzerInfo", self.stub.GetAnalyzerInfo, empty_pb2.Empty())
        schemas = [_policy_schema(p) for p in self.info.policies]
        initial, self.warnings = _initial_layer(self.info)
        self.warnings += [
            f"{source}: no policy '{name}' in pack '{self.name}'"
            for name in pconfig.unknown_policies(schemas, file_layer)
        ]
        self.config = pconfig.reconcile(schemas, [initial, file_layer])
        pconfig.validate(self.name, schemas, self.config, source)
        pconfig.check_levels(self.name, self.config, source)
        request = apb.ConfigureAnalyzerRequest(
            policyConfig={
                name: apb.PolicyConfig(enforcementLevel=LEVELS[c.level], properties=requests.struct(c.properties))
                for name, c in self.config.items()
            }
        )
        self.call("Configure", self.stub.Configure, request)

    def pack_info(self) -> PackInfo:
        return PackInfo(
            name=self.name,
            version=self.spec.version or self.info.version,
            directory=str(self.spec.directory),
            policies=tuple(self._policy_meta(p) for p in self.info.policies),
        )

    def _policy_meta(self, info: apb.PolicyInfo) -> PolicyMeta:
        return PolicyMeta(
            name=info.name,
            description=info.description,
            kind="stack" if info.policy_type == apb.POLICY_TYPE_STACK else "resource",
            level=self.config[info.name].level if info.name in self.config else LEVEL_NAMES[info.enforcementLevel],
            severity=SEVERITIES.get(info.severity, ""),
            remediation_steps=info.remediation_steps,
            url=info.url,
            tags=tuple(info.tags),
            framework=tuple((key, value) for key, value in (
                ("name", info.framework.name), ("version", info.framework.version),
                ("reference", info.framework.reference), ("specification", info.framework.specification)) if value),
        )

    def remediates(self) -> bool:
        return any(c.level == "remediate" for c in self.config.values())

    def severity_of(self, policy: str) -> str:
        return next((SEVERITIES.get(p.severity, "") for p in self.info.policies if p.name == policy), "")

    def close(self) -> None:
        self.channel.close()


def open_session(process: PackProcess, context: RunContext, layer: pconfig.Layer, source: str) -> PackSession:
    session = PackSession(process, process.port())
    try:
        session.configure(context, layer, source)
    except BaseException:
        session.close()
        raise
    return session


# --- analysis ---------------------------------------------------------------------------------------------------


@dataclass
class Findings:
    resources: tuple[CapturedResource, ...]
    violations: list[Violation] = field(default_factory=list)
    not_applicable: list[NotApplicable] = field(default_factory=list)
    remediations: list[Remediation] = field(default_factory=list)


def _violation(session: PackSession, diagnostic: apb.AnalyzeDiagnostic, resource: CapturedResource) -> Violation | None:
    level = LEVEL_NAMES.get(diagnostic.enforcementLevel, "advisory")
    if level == "disabled":
        return None
    return Violation(
        policy_pack=diagnostic.policyPackName or session.name,
        policy=diagnostic.policyName,
        enforcement_level="mandatory" if level == "remediate" else level,
        severity=SEVERITIES.get(diagnostic.severity, "") or session.severity_of(diagnostic.policyName),
        urn=resource.urn,
        resource_type=resource.type,
        resource_name=resource.name,
        message=diagnostic.message,
    )


def _remediated(
    resource: CapturedResource, props: dict[str, Wire], by_urn: Mapping[str, CapturedResource]
) -> CapturedResource:
    """The resource as the provider would create it from the remediated inputs."""
    outputs = {k: v for k, v in resource.outputs.items() if k not in resource.inputs}
    outputs.update(props)
    if "tagsAll" in resource.outputs:
        provider = by_urn.get(resource.provider_urn)
        default_tags = aws_mock.provider_default_tags(provider.inputs if provider else {})
        outputs["tagsAll"] = aws_mock.tags_all(props, default_tags)
    return dataclasses.replace(resource, inputs=props, outputs=outputs)


def _remediate(sessions: Sequence[PackSession], findings: Findings) -> None:
    """Each pack's remediations, in pack order, feed the next pack and every analysis after them."""
    by_urn = {r.urn: r for r in findings.resources}
    resources = list(findings.resources)
    for index, resource in enumerate(resources):
        if resource.external:
            continue
        for session in sessions:
            request = requests.analyze_request(resource, by_urn)
            response = session.call(f"Remediate of {resource.urn}", session.stub.Remediate, request)
            for fix in response.remediations:
                if fix.diagnostic:
                    findings.violations.append(
                        Violation(
                            fix.policyPackName or session.name,
                            fix.policyName,
                            "advisory",
                            session.severity_of(fix.policyName),
                            resource.urn,
                            resource.type,
                            resource.name,
                            fix.diagnostic,
                        )
                    )
                elif fix.HasField("properties"):
                    resource = _remediated(resource, _dict(fix.properties), by_urn)
                    findings.remediations.append(
                        Remediation(fix.policyName, resource.urn, fix.description, fix.policyPackName or session.name)
                    )
            findings.not_applicable.extend(
                NotApplicable(n.policy_name, resource.urn, n.reason, session.name) for n in response.not_applicable
            )
        resources[index] = resource
        by_urn[resource.urn] = resource
    findings.resources = tuple(resources)


def _analyze_pack(session: PackSession, resources: tuple[CapturedResource, ...]) -> Findings:
    found = Findings(resources)
    by_urn = {r.urn: r for r in resources}
    for resource in resources:
        if resource.external:
            continue
        request = requests.analyze_request(resource, by_urn)
        response = session.call(f"Analyze of {resource.urn}", session.stub.Analyze, request)
        # The engine attributes every resource diagnostic to the resource being analysed.
        found.violations.extend(v for d in response.diagnostics if (v := _violation(session, d, resource)))
        found.not_applicable.extend(
            NotApplicable(n.policy_name, resource.urn, n.reason, session.name) for n in response.not_applicable
        )
    response = session.call("AnalyzeStack", session.stub.AnalyzeStack, requests.analyze_stack_request(resources))
    root = next(r for r in resources if r.type == "pulumi:pulumi:Stack")
    for diagnostic in response.diagnostics:
        target = by_urn.get(diagnostic.urn, root)
        violation = _violation(session, diagnostic, target)
        if violation is not None:
            found.violations.append(violation)
    found.not_applicable.extend(
        NotApplicable(n.policy_name, root.urn, n.reason, session.name) for n in response.not_applicable
    )
    return found


def analyze(capture: Capture, sessions: Sequence[PackSession]) -> Findings:
    findings = Findings(capture.resources)
    remediating = [s for s in sessions if s.remediates()]
    if remediating:
        _remediate(remediating, findings)
    results = _parallel([functools.partial(_analyze_pack, s, findings.resources) for s in sessions])
    for result in results:
        findings.violations.extend(result.violations)
        findings.not_applicable.extend(result.not_applicable)
    return findings


def _parallel(tasks: Iterable[Callable[[], T]]) -> list[T]:
    tasks = list(tasks)
    if len(tasks) == 1:
        return [tasks[0]()]
    with ThreadPoolExecutor(max_workers=max(len(tasks), 1)) as pool:
        futures = [pool.submit(task) for task in tasks]
        return [f.result() for f in futures]
