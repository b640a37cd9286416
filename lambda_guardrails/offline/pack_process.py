"""A policy pack's process, started as the CLI starts it, and the stack it is told about."""

from __future__ import annotations

import collections
import json
import os
import queue
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from .errors import CheckError, die_with_parent
from .project import PackSpec

# The SDK only parses the engine address (for logging); nothing listens there.
ENGINE_ADDRESS: Final = "127.0.0.1:0"
START_TIMEOUT: Final = 60.0


@dataclass(frozen=True)
class RunContext:
    project: str
    stack: str
    organization: str
    preview: bool
    config: Mapping[str, str]
    secret_keys: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    def pack_env(self, runtime: str) -> dict[str, str]:
        env = dict(os.environ)
        values = {
            "PULUMI_STACK": self.stack,
            "PULUMI_PROJECT": self.project,
            "PULUMI_ORGANIZATION": self.organization,
            "PULUMI_DRY_RUN": "true" if self.preview else "false",
            "PULUMI_CONFIG": json.dumps(dict(self.config)),
        }
        env.update(values)
        if runtime == "nodejs":
            env.update({k.replace("PULUMI_", "PULUMI_NODEJS_"): v for k, v in values.items() if k != "PULUMI_CONFIG"})
        return env


class PackProcess:
    """A policy pack's process: the port it announces on its first stdout line, and its drained output (the rest
    of stdout joins stderr)."""

    def __init__(self, spec: PackSpec, context: RunContext) -> None:
        self.spec = spec
        self.context = context
        self._process: subprocess.Popen[bytes] | None = None
        self._first_line: queue.Queue[str | None] = queue.Queue(maxsize=1)
        self._stderr: collections.deque[str] = collections.deque(maxlen=200)
        self._readers: list[threading.Thread] = []

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        command = self.spec.command(ENGINE_ADDRESS)
        try:
            self._process = subprocess.Popen(
                command,
                cwd=self.spec.directory,
                env=self.context.pack_env(self.spec.runtime),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                preexec_fn=die_with_parent,  # async-signal-safe: one prctl call
            )
        except OSError as exc:
            raise CheckError(f"policy pack {self.spec.directory} failed to start: {exc}") from exc
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        first = True
        for raw in self._process.stdout:
            line = raw.decode("utf-8", "replace")
            if first:
                self._first_line.put(line.strip())
                first = False
            else:
                self._stderr.append(line.rstrip())
        if first:
            self._first_line.put(None)

    def _read_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        for raw in self._process.stderr:
            self._stderr.append(raw.decode("utf-8", "replace").rstrip())

    def port(self, timeout: float = START_TIMEOUT) -> int:
        try:
            line = self._first_line.get(timeout=timeout)
        except queue.Empty:
            raise self._failure(f"announced no port within {timeout:g} s") from None
        if line is None:
            self._readers[1].join(timeout=5)
            raise self._failure(self.last_error() or "it exited without a word")
        if not line.isdigit():
            raise self._failure(f"its first line of output is {line!r}, not a port (nothing may print at import)")
        return int(line)

    def _failure(self, reason: str) -> CheckError:
        return CheckError(f"policy pack {self.spec.directory} failed to start: {reason}", self.stderr())

    def last_error(self) -> str:
        lines = [line.strip() for line in self._stderr if line.strip()]
        return lines[-1] if lines else ""

    def stderr(self) -> str:
        return "\n".join(self._stderr)

    def stop(self) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for reader in self._readers:
            reader.join(timeout=2)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
