"""Runs a Pulumi program in a fresh child process under the AWS-aware mocks and reads back what it registered."""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from .errors import CheckError, die_with_parent
from .project import Program, StackConfig
from .wire import Wire

ORGANIZATION: Final = "organization"
TMP_PREFIX: Final = "policypack-capture-"
PACKAGE_ROOT: Final = Path(__file__).resolve().parents[2]
CHILD_MODULE: Final = "lambda_guardrails.offline.capture_child"
ROOT_STACK_TYPE: Final = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Options:
    """A resource's options as the engine passes them to a policy pack."""

    protect: bool = False
    ignore_changes: tuple[str, ...] = ()
    delete_before_replace: bool = False
    delete_before_replace_defined: bool = False
    additional_secret_outputs: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    custom_timeouts: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class CapturedResource:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    dependencies: tuple[str, ...]
    property_dependencies: Mapping[str, tuple[str, ...]]
    inputs: Mapping[str, Wire]
    outputs: Mapping[str, Wire]
    id: str
    external: bool = False
    default_provider: bool = False
    options: Options = field(default_factory=Options)
    source: tuple[str, int] | None = None  # the program's file (relative to its directory) and line

    @property
    def provider_urn(self) -> str:
        return self.provider.rsplit("::", 1)[0] if self.provider else ""


@dataclass(frozen=True)
class Capture:
    resources: tuple[CapturedResource, ...]
    generic_invokes: tuple[str, ...] = ()
    remote_components: tuple[tuple[str, str, str], ...] = ()  # type, name, URN

    @property
    def root(self) -> CapturedResource:
        return next(r for r in self.resources if r.type == ROOT_STACK_TYPE)

    def by_urn(self) -> dict[str, CapturedResource]:
        return {r.urn: r for r in self.resources}


def _resource(record: Mapping[str, Any]) -> CapturedResource:
    options = record.get("options") or {}
    return CapturedResource(
        urn=record["urn"],
        type=record["type"],
        name=record["name"],
        custom=bool(record["custom"]),
        parent=record["parent"],
        provider=record["provider"],
        dependencies=tuple(record["dependencies"]),
        property_dependencies={k: tuple(v) for k, v in record["propertyDependencies"].items()},
        inputs=record["inputs"],
        outputs=record["outputs"],
        id=record["id"],
        external=bool(record.get("external")),
        default_provider=bool(record.get("defaultProvider")),
        source=(record["source"]["path"], int(record["source"]["line"])) if record.get("source") else None,
        options=Options(
            protect=bool(options.get("protect")),
            ignore_changes=tuple(options.get("ignoreChanges", ())),
            delete_before_replace=bool(options.get("deleteBeforeReplace")),
            delete_before_replace_defined=bool(options.get("deleteBeforeReplaceDefined")),
            additional_secret_outputs=tuple(options.get("additionalSecretOutputs", ())),
            aliases=tuple(options.get("aliases", ())),
            custom_timeouts=options.get("customTimeouts") or {},
        ),
    )


class CaptureProcess:
    """The child process that runs the program; start() returns at once, result() waits for it.

    Each resource the program registers is put on `registered` as it happens (then None, once there are no more),
    so that the check can analyse it while the program goes on, as the engine does."""

    def __init__(self, program: Program, stack: StackConfig, preview: bool) -> None:
        self.program = program
        self.stack = stack
        self.preview = preview
        remove_stale_directories()
        self._tmp = tempfile.TemporaryDirectory(prefix=f"{TMP_PREFIX}{os.getpid()}-")
        self._process: subprocess.Popen[bytes] | None = None
        self._reading = threading.Event()
        self.registered: queue.SimpleQueue[CapturedResource | None] = queue.SimpleQueue()
        self._streamed: list[CapturedResource] = []
        self._reader: threading.Thread | None = None
        self._unreadable: Exception | None = None

    def start(self) -> None:
        request_path = Path(self._tmp.name) / "request.json"
        request_path.write_text(json.dumps(self._request()), encoding="utf-8")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        records_r, records_w = os.pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", CHILD_MODULE, str(request_path), str(self._result_path), str(records_w)],
                cwd=self.program.directory,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(records_w,),
                preexec_fn=die_with_parent,  # async-signal-safe: one prctl call
            )
        except BaseException:
            os.close(records_r)
            raise
        finally:
            os.close(records_w)
        self._reader = threading.Thread(target=self._read_records, args=(records_r,), daemon=True)
        self._reader.start()

    def _read_records(self, fd: int) -> None:
        with open(fd, encoding="utf-8") as records:
            for line in records:
                if self._unreadable is None:
                    try:
                        self._registered(json.loads(line))
                    except (ValueError, KeyError, TypeError) as exc:  # the child keeps writing: drain the pipe
                        self._unreadable = exc

    def _registered(self, record: Mapping[str, Any]) -> None:
        resource = _resource(record)
        self._streamed.append(resource)
        self.registered.put(resource)

    @property
    def _result_path(self) -> Path:
        return Path(self._tmp.name) / "result.json"

    def _request(self) -> dict[str, Any]:
        return {
            "projectDir": str(self.program.directory.resolve()),
            "main": str(self.program.main.resolve()),
            "project": self.program.name,
            "stack": self.stack.name,
            "organization": self.stack.organization or ORGANIZATION,
            "preview": self.preview,
            "config": dict(self.stack.values),
            "secretKeys": list(self.stack.secret_keys),
        }

    def result(self) -> tuple[Capture, str]:
        """The capture and the program's own output (stdout and stderr)."""
        if self._process is None or self._reader is None:
            raise RuntimeError("CaptureProcess.result() before start()")
        self._reading.set()
        try:
            stdout, stderr = self._process.communicate()
            self._reader.join()
        finally:
            self.registered.put(None)
        output = (stdout + stderr).decode("utf-8", "replace")
        if not self._result_path.exists():
            raise CheckError(f"program {self._main_label()} could not be run: {_last_line(output)}", output)
        return self._captured(json.loads(self._result_path.read_text(encoding="utf-8")), output)

    def _captured(self, result: Mapping[str, Any], output: str) -> tuple[Capture, str]:
        if result.get("error"):
            raise self._failure(result["error"], output)
        if self._unreadable is not None:
            raise CheckError(f"program {self._main_label()}: a registration came back unreadable: "
                             f"{self._unreadable!r}", output)
        resources = _final(self._streamed, result["stackOutputs"])
        _refuse_duplicates(resources, self._main_label())
        remote = tuple((c["type"], c["name"], c["urn"]) for c in result.get("remoteComponents", ()))
        return Capture(resources, tuple(result.get("genericInvokes", ())), remote), output

    def _failure(self, error: Mapping[str, str], output: str) -> CheckError:
        main = self._main_label()
        detail = "\n".join(part for part in (output.rstrip(), error.get("traceback", "").rstrip()) if part)
        if error["kind"] == "invoke":
            return CheckError(
                f"program {main} calls invoke '{error['message']}', which the offline check cannot answer: "
                "the installed provider SDK declares no result type for it",
                detail,
            )
        if error["kind"] == "setup":
            return CheckError(error["message"], detail)
        if error["kind"] == "compile":
            return CheckError(f"program {main} does not compile: {error['message']}", detail)
        if error["kind"] == "log":
            return CheckError(f"program {main} logged an error: {error['message']}", detail)
        message = f": {error['message']}" if error["message"] else ""
        return CheckError(f"program {main} raised {error['type']}{message}", detail)

    def _main_label(self) -> str:
        return _display_path(self.program.main_file)

    def stop(self) -> None:
        self.registered.put(None)
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            # A thread in result() drains and closes the pipes; otherwise do it here.
            if self._reading.is_set():
                process.wait()
            else:
                process.communicate()
        self._tmp.cleanup()


def capture_process(program: Program, stack: StackConfig, preview: bool) -> CaptureProcess:
    if program.runtime == "nodejs":
        from .node_capture import NodeCaptureProcess

        return NodeCaptureProcess(program, stack, preview)
    return CaptureProcess(program, stack, preview)


def _final(
    streamed: list[CapturedResource], stack_outputs: Mapping[str, Mapping[str, Wire]]
) -> tuple[CapturedResource, ...]:
    """The registrations as the engine holds them at the end: the root stack first (a program's first invoke may
    have made a default provider before it), components with the outputs they registered last."""
    ordered = sorted(streamed, key=lambda r: r.type != ROOT_STACK_TYPE)
    return tuple(
        dataclasses.replace(r, outputs=stack_outputs[r.urn]) if not r.custom and r.urn in stack_outputs else r
        for r in ordered
    )


def remove_stale_directories() -> None:
    """Temp directories of checks whose process is gone (killed before it could clean up)."""
    for directory in Path(tempfile.gettempdir()).glob(f"{TMP_PREFIX}*-*"):
        pid = directory.name[len(TMP_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists() and directory.is_dir():
            shutil.rmtree(directory, ignore_errors=True)


def _refuse_duplicates(resources: tuple[CapturedResource, ...], main: str) -> None:
    """The engine's error 2001 (sdk/go/common/diag/errors.go), which stops `pulumi preview`."""
    seen: set[str] = set()
    for resource in resources:
        if resource.urn in seen:
            raise CheckError(f"program {main}: Duplicate resource URN '{resource.urn}'; try giving it a unique name")
        seen.add(resource.urn)


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
