"""Runs a policy pack as `python -u -m pulumi.policy <engine> <pack dir>` would, with cProfile on its RPC handlers.

Usage: python -u bench/profiled_pack.py <profile dir> <engine address> <pack dir>   (cwd: the pack dir)

`python -m cProfile -m pulumi.policy` sees only the main thread, which imports the pack and then sleeps; the SDK
answers RPCs on gRPC worker threads. So this wraps the servicer's Analyze and AnalyzeStack (as the pack left
them) in one profiler per method and writes, on SIGTERM or SIGINT: startup.prof (the main thread: imports,
building the pack, starting the server), analyze.prof (every Analyze call) and analyze_stack.prof (every
AnalyzeStack call).
"""

from __future__ import annotations

import cProfile
import functools
import os
import runpy
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    startup = cProfile.Profile()
    profiles = {"Analyze": cProfile.Profile(), "AnalyzeStack": cProfile.Profile()}
    lock = threading.Lock()

    def dump(signum: int, frame: FrameType | None) -> None:
        startup.disable()
        with lock:
            startup.dump_stats(out / "startup.prof")
            profiles["Analyze"].dump_stats(out / "analyze.prof")
            profiles["AnalyzeStack"].dump_stats(out / "analyze_stack.prof")
        sys.stdout.flush()
        os._exit(0)

    signal.signal(signal.SIGTERM, dump)
    signal.signal(signal.SIGINT, dump)

    from pulumi_policy import policy as sdk

    def profiled(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def run(request: Any, context: Any) -> Any:
            with lock:  # the engine's calls are sequential; the lock keeps one profiler on one thread at a time
                profile = profiles[name]
                profile.enable()
                try:
                    return original(request, context)
                finally:
                    profile.disable()

        return run

    # Wrapped per servicer, when the SDK builds it: by then the pack has imported and may have replaced methods.
    sdk_init = sdk._PolicyAnalyzerServicer.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        sdk_init(self, *args, **kwargs)
        for method in profiles:
            setattr(self, method, profiled(method, getattr(self, method)))

    sdk._PolicyAnalyzerServicer.__init__ = init  # type: ignore[method-assign]
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path.pop(0)  # as under `python -m pulumi.policy`: the pack dir, not bench/, comes first
    sys.argv = [sys.argv[0], *sys.argv[2:]]
    startup.enable()
    runpy.run_module("pulumi.policy", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
