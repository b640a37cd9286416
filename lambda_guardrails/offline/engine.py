"""Plays the engine's part of the Analyzer protocol against policy pack processes started as the CLI starts them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import grpc
from google.protobuf import empty_pb2, struct_pb2
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
    """A Struct as `json_format.MessageToDict` reads it, except that NaN and infinities stay the floats they are
    (MessageToDict raises on them, and a pack may hand back a program's NaN in remediated properties)."""
    return {key: _value(value) for key, value in struct.fields.items()}


def _value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return _dict(value.struct_value)
    if kind == "list_value":
        return [_value(item) for item in value.list_value.values]
    return None if kind in (None, "null_value") else getattr(value, kind)


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
            raise self._failed(what, exc) from exc

    def wait(self, what: str, call: grpc.Future) -> Any:
        """The response of a call started with `.future()`."""
        try:
            return call.result()
        except grpc.RpcError as exc:
            raise self._failed(what, exc) from exc

    def _failed(self, what: str, exc: grpc.RpcError) -> CheckError:
        details = exc.details() if hasattr(exc, "details") else str(exc)
        reason = " ".join(str(details).split()) or str(exc.code())
        died = self.process.last_error()
        suffix = f" (pack stderr: {died})" if died and died not in reason else ""
        return CheckError(f"policy pack '{self.name}': {what} failed: {reason}{suffix}", self.process.stderr())

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


class Analysis:
    """The engine's part while the program runs: each resource's Remediate (pack by pack, each pack's fixes feeding
    the next) and then Analyze by every pack, as soon as the program registers it; AnalyzeStack once it is done."""

    def __init__(self, sessions: Sequence[PackSession]) -> None:
        self.sessions = list(sessions)
        self.findings = Findings(())
        self._remediating = [s for s in self.sessions if s.remediates()]
        self._by_urn: dict[str, CapturedResource] = {}
        self._fixes: dict[str, list[dict[str, Wire]]] = {}

    def add(self, resource: CapturedResource) -> None:
        if resource.external:  # read, not registered: the engine neither remediates nor analyses it
            self._by_urn[resource.urn] = resource
            return
        resource = self._remediate(resource)
        self._by_urn[resource.urn] = resource
        request = requests.analyze_request(resource, self._by_urn)
        # One pack after the other, as the engine asks them: a `.future()` call costs a thread of grpc's each time.
        for session in self.sessions:
            response = session.call(f"Analyze of {resource.urn}", session.stub.Analyze, request)
            # The engine attributes every resource diagnostic to the resource being analysed.
            self.findings.violations.extend(v for d in response.diagnostics if (v := _violation(session, d, resource)))
            self._not_applicable(session, resource.urn, response.not_applicable)

    def _remediate(self, resource: CapturedResource) -> CapturedResource:
        for session in self._remediating:
            request = requests.analyze_request(resource, self._by_urn)
            response = session.call(f"Remediate of {resource.urn}", session.stub.Remediate, request)
            for fix in response.remediations:
                if fix.diagnostic:
                    self.findings.violations.append(
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
                    props = _dict(fix.properties)
                    self._fixes.setdefault(resource.urn, []).append(props)
                    resource = _remediated(resource, props, self._by_urn)
                    self.findings.remediations.append(
                        Remediation(fix.policyName, resource.urn, fix.description, fix.policyPackName or session.name)
                    )
            self._not_applicable(session, resource.urn, response.not_applicable)
        return resource

    def _not_applicable(self, session: PackSession, urn: str, entries: Iterable[Any]) -> None:
        self.findings.not_applicable.extend(NotApplicable(n.policy_name, urn, n.reason, session.name) for n in entries)

    def finish(self, capture: Capture) -> Findings:
        """AnalyzeStack of the stack as the program left it (components with their last outputs), remediated."""
        resources = tuple(self._fixed(r) for r in capture.resources)
        by_urn = {r.urn: r for r in resources}
        root = by_urn[capture.root.urn]
        request = requests.analyze_stack_request(resources)
        pending = [(s, s.stub.AnalyzeStack.future(request, timeout=RPC_TIMEOUT)) for s in self.sessions]
        for session, call in pending:
            response = session.wait("AnalyzeStack", call)
            for diagnostic in response.diagnostics:
                violation = _violation(session, diagnostic, by_urn.get(diagnostic.urn, root))
                if violation is not None:
                    self.findings.violations.append(violation)
            self._not_applicable(session, root.urn, response.not_applicable)
        self.findings.resources = resources
        return self.findings

    def _fixed(self, resource: CapturedResource) -> CapturedResource:
        for props in self._fixes.get(resource.urn, ()):
            resource = _remediated(resource, props, self._by_urn)
        return resource
