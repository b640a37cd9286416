"""The real Pulumi CLI (`scripts/pulumi`), the pack as the engine starts it, and what the engine tier feeds it."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambda_guardrails.layout import publish
from lambda_guardrails.offline.capture import Capture, CapturedResource, capture_process
from lambda_guardrails.offline.project import load_program, load_stack_config
from lambda_guardrails.offline.wire import SECRET_SIG, SIG

REPO = Path(__file__).resolve().parents[2]
PULUMI = REPO / "scripts" / "pulumi"
LAUNCHER = REPO / ".tools" / "bin" / "pulumi-policy-pack"
CLI_TIMEOUT = 600


@dataclass(frozen=True)
class Verdict:
    policy: str
    urn: str
    level: str


def pulumi(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PULUMI), *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def lay_out_pack(directory: Path) -> Path:
    """The pack as `pulumi policy publish` would upload it (`lambda-guardrails publish-dir`), set up as the README
    says (a `.venv` with only its requirements.txt), and the launcher the engine runs it through. Returns the path
    for `--policy-pack`."""
    version = pulumi("version", cwd=REPO)  # builds the CLI and the launcher the first time
    assert version.stdout.strip() == "v3.274.1", version.stderr
    publish(directory)
    subprocess.run(["python3", "-m", "venv", ".venv"], cwd=directory, check=True)
    subprocess.run(
        [".venv/bin/pip", "install", "-q", "-r", "requirements.txt"], cwd=directory, check=True, timeout=CLI_TIMEOUT
    )
    launcher = directory / LAUNCHER.name
    launcher.symlink_to(LAUNCHER)
    return launcher


def capture(program_dir: Path, stack: str, preview: bool) -> Capture:
    program = load_program(program_dir)
    process = capture_process(program, load_stack_config(program, stack), preview=preview)
    process.start()
    try:
        return process.result()[0]
    finally:
        process.stop()


def _state_value(value: Any) -> Any:
    """A wire value as `pulumi stack export --show-secrets` writes it: a secret carries its value as JSON text."""
    if isinstance(value, Mapping):
        if value.get(SIG) == SECRET_SIG:
            return {SIG: SECRET_SIG, "plaintext": json.dumps(value.get("value"))}
        return {k: _state_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_state_value(v) for v in value]
    return value


def _state_resource(resource: CapturedResource) -> dict[str, Any]:
    state: dict[str, Any] = {
        "urn": resource.urn,
        "custom": resource.custom,
        "type": resource.type,
        "inputs": _state_value(dict(resource.inputs)),
        "outputs": _state_value(dict(resource.outputs)),
    }
    if resource.custom:
        state["id"] = resource.id
    optional = {
        "parent": resource.parent,
        "provider": resource.provider,
        "dependencies": list(resource.dependencies),
        "propertyDependencies": {k: list(v) for k, v in resource.property_dependencies.items()},
        "protect": resource.options.protect,
        "ignoreChanges": list(resource.options.ignore_changes),
        "additionalSecretOutputs": list(resource.options.additional_secret_outputs),
        "external": resource.external,
    }
    state.update({k: v for k, v in optional.items() if v})
    return state


def deployment(captured: Capture) -> dict[str, Any]:
    """The stack's state after an update that created what the program registered, as `pulumi stack export`
    writes it (apitype.UntypedDeployment, version 3)."""
    return {
        "version": 3,
        "deployment": {
            "manifest": {"time": "2026-01-01T00:00:00Z", "magic": "", "version": "v3.274.1"},
            "resources": [_state_resource(r) for r in captured.resources],
        },
    }


def engine_events(stdout: str, kind: str) -> list[dict[str, Any]]:
    """The `kind` events (`policyEvent`, `policyRemediationEvent`, ...) of the CLI's streaming JSON output."""
    events = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            event = json.loads(line)
            if kind in event:
                events.append(event[kind])
    return events


def engine_verdicts(events: Iterable[Mapping[str, Any]]) -> set[Verdict]:
    return {Verdict(e["policyName"], e["resourceUrn"], e["enforcementLevel"]) for e in events}
