"""The capture of a Node.js program: `capture_node.js` runs it under its own @pulumi/pulumi's mocks and forwards
each monitor call, as protobuf bytes, to this process, where the same `CapturingMonitor` as for a Python program
answers it (the AWS emulation, unknowns, secrets, providers, autonames) and records it."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from .capture import Capture, CaptureProcess
from .errors import CheckError, die_with_parent
from .project import SECRET_PLACEHOLDER

if TYPE_CHECKING:
    from .capture_child import CapturingMonitor

CHILD_JS: Final = Path(__file__).with_name("capture_node.js")


def _methods(monitor: CapturingMonitor) -> dict[str, tuple[Callable[[Any], Any], type[Any]]]:
    from pulumi.runtime.proto import resource_pb2

    return {
        "RegisterResource": (monitor.RegisterResource, resource_pb2.RegisterResourceRequest),
        "ReadResource": (monitor.ReadResource, resource_pb2.ReadResourceRequest),
        "Invoke": (monitor.Invoke, resource_pb2.ResourceInvokeRequest),
        "RegisterResourceOutputs": (monitor.RegisterResourceOutputs, resource_pb2.RegisterResourceOutputsRequest),
    }


def environment(request: Mapping[str, Any], fds: str) -> dict[str, str]:
    """What the Node.js language host sets for the program (pulumi-language-nodejs), and the pipes."""
    options = request["runtimeOptions"]
    env = dict(os.environ)
    env.update(
        {
            "PULUMI_CONFIG": json.dumps(request["config"]),
            "PULUMI_CONFIG_SECRET_KEYS": json.dumps(request["secretKeys"]),
            "PULUMI_NODEJS_TYPESCRIPT": "false" if options.get("typescript") is False else "true",
            "POLICYPACK_CAPTURE_FDS": fds,
        }
    )
    if isinstance(options.get("tsconfig"), str):
        env["PULUMI_NODEJS_TSCONFIG_PATH"] = options["tsconfig"]
    return env


class _Server:
    """Reads the child's calls on one thread and answers them on another, so that neither pipe can fill up
    while the other side waits."""

    def __init__(self, monitor: CapturingMonitor, requests: int, responses: int) -> None:
        self.methods = _methods(monitor)
        self.requests = os.fdopen(requests, "r", encoding="utf-8")
        self.responses = os.fdopen(responses, "w", encoding="utf-8")
        self.calls: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.done: dict[str, Any] | None = None

    def read(self) -> None:
        with self.requests:
            for line in self.requests:
                message = json.loads(line)
                if message.get("done"):
                    self.done = message
                else:
                    self.calls.put(message)
        self.calls.put(None)

    def answer(self) -> None:
        with self.responses:
            while (message := self.calls.get()) is not None:
                if not self._reply(message):
                    return

    def _reply(self, message: Mapping[str, Any]) -> bool:
        handler, request_type = self.methods[message["method"]]
        reply: dict[str, Any] = {"id": message["id"]}
        try:
            response = handler(request_type.FromString(base64.b64decode(message["request"])))
            reply["response"] = base64.b64encode(response.SerializeToString()).decode("ascii")
        except Exception as exc:  # noqa: BLE001 the program sees the failure, as one from the engine
            unsupported = type(exc).__name__ == "UnsupportedInvokeError"
            reply["error"] = str(exc) if unsupported else f"{type(exc).__name__}: {exc}"
        try:
            self.responses.write(json.dumps(reply) + "\n")
            self.responses.flush()
        except (BrokenPipeError, ValueError):
            return False
        return True


class NodeCaptureProcess(CaptureProcess):
    """Node.js runs the program; this process plays the engine for it while result() waits."""

    _pipes: tuple[int, int] = (-1, -1)

    def _request(self) -> dict[str, Any]:
        return {
            **super()._request(),
            # As the language host passes it: "." lets @pulumi/pulumi's run honour package.json's entry point.
            "main": os.path.relpath(self.program.main, self.program.directory),
            "runtimeOptions": dict(self.program.runtime_options),
            "secretPlaceholder": SECRET_PLACEHOLDER,
        }

    def start(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise CheckError("node is not on PATH: the offline check runs a nodejs program with Node.js 20 or later")
        request_path = Path(self._tmp.name) / "request.json"
        request_path.write_text(json.dumps(self._request()), encoding="utf-8")
        to_host_r, to_host_w = os.pipe()
        to_child_r, to_child_w = os.pipe()
        self._pipes = (to_host_r, to_child_w)
        self._process = subprocess.Popen(
            [node, str(CHILD_JS), str(request_path)],
            cwd=self.program.directory,
            env=environment(self._request(), f"{to_host_w},{to_child_r}"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(to_host_w, to_child_r),
            preexec_fn=die_with_parent,  # async-signal-safe: one prctl call
        )
        os.close(to_host_w)
        os.close(to_child_r)

    def result(self) -> tuple[Capture, str]:
        if self._process is None:
            raise RuntimeError("NodeCaptureProcess.result() before start()")
        from .capture_child import CapturingMonitor

        self._reading.set()
        monitor = CapturingMonitor(self._request(), self._registered)
        server = _Server(monitor, *self._pipes)
        threads = [threading.Thread(target=server.read, daemon=True),
                   threading.Thread(target=server.answer, daemon=True)]
        for thread in threads:
            thread.start()
        try:
            stdout, stderr = self._process.communicate()
            for thread in threads:
                thread.join()
        finally:
            self.registered.put(None)
        output = (stdout + stderr).decode("utf-8", "replace")
        result = {"stackOutputs": monitor.stack_outputs, "error": _error(server.done, monitor, output),
                  "genericInvokes": monitor.generic_invokes, "remoteComponents": monitor.remote_components}
        return self._captured(result, output)

    def stop(self) -> None:
        super().stop()
        if not self._reading.is_set():
            for fd in self._pipes:
                with contextlib.suppress(OSError):
                    os.close(fd)


def _error(done: Mapping[str, Any] | None, monitor: CapturingMonitor, output: str) -> dict[str, str] | None:
    if done is None:
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        return {"kind": "program", "type": "", "message": f"node stopped: {lines[-1] if lines else 'no output'}",
                "traceback": ""}
    error: dict[str, str] | None = done.get("error")
    if error is not None and monitor.unsupported_invokes:
        return {**error, "kind": "invoke", "message": monitor.unsupported_invokes[0]}
    return error
