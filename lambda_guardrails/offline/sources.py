"""Where the program declared each resource: the first frame of its own code above the constructor.

Used by the capture child; frames in the Pulumi SDK, a provider SDK (`pulumi_*`), the standard library and this
check are not the program's.
"""

from __future__ import annotations

import collections
import functools
import sys
import sysconfig
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, Final

CHECK_DIR: Final = str(Path(__file__).resolve().parent)
MAX_FRAMES: Final = 200


def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    import pulumi

    return tuple({str(Path(pulumi.__file__).resolve().parent), paths["stdlib"], paths["platstdlib"], CHECK_DIR})


class Sources:
    """Records, per (type, name), the program's file and line of each resource constructed, in order."""

    def __init__(self, program_dir: Path) -> None:
        self.program_dir = program_dir.resolve()
        self._roots = _library_roots()
        self._own: dict[str, bool] = {}
        self._pending: dict[tuple[str, str], collections.deque[dict[str, Any]]] = collections.defaultdict(
            collections.deque
        )
        self._lock = threading.Lock()

    def install(self) -> None:
        import pulumi.resource

        original: Callable[..., None] = pulumi.resource.Resource.__init__
        sources = self

        def init(resource: Any, t: str, name: str, *args: Any, **kwargs: Any) -> None:
            sources.record(resource, t, name, sys._getframe(1))
            original(resource, t, name, *args, **kwargs)

        pulumi.resource.Resource.__init__ = init  # type: ignore[method-assign,assignment]

    def record(self, resource: Any, type_: str, name: str, frame: FrameType | None) -> None:
        location = self._locate(resource, frame)
        if location is not None:
            with self._lock:
                self._pending[(type_, name)].append(location)

    def take(self, type_: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            pending = self._pending.get((type_, name))
            return pending.popleft() if pending else None

    def _locate(self, resource: Any, frame: FrameType | None) -> dict[str, Any] | None:
        for _ in range(MAX_FRAMES):
            if frame is None:
                return None
            if self._is_program(frame.f_code.co_filename) and not _constructing(frame, resource):
                return {"path": self._display(frame.f_code.co_filename), "line": frame.f_lineno}
            frame = frame.f_back
        return None

    def _is_program(self, filename: str) -> bool:
        own = self._own.get(filename)
        if own is None:
            resolved = str(Path(filename).resolve()) if not filename.startswith("<") else ""
            parts = Path(resolved).parts
            sdk = any(p.startswith("pulumi_") and i and parts[i - 1].endswith("-packages") for i, p in enumerate(parts))
            own = bool(resolved) and not sdk and not any(resolved.startswith(root + "/") for root in self._roots)
            self._own[filename] = own
        return own

    @functools.lru_cache(maxsize=1024)  # noqa: B019 one Sources per process
    def _display(self, filename: str) -> str:
        path = Path(filename).resolve()
        try:
            return path.relative_to(self.program_dir).as_posix()
        except ValueError:
            return path.as_posix()


def _constructing(frame: FrameType, resource: Any) -> bool:
    """A frame of the resource's own constructor (a component's `__init__`, say): not where it was declared."""
    code = frame.f_code
    return code.co_argcount > 0 and frame.f_locals.get(code.co_varnames[0]) is resource
