"""The one error the offline check raises when it cannot run (exit code 2)."""

from __future__ import annotations

import contextlib
import ctypes
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """A child's `preexec_fn`: SIGKILL when the check's process dies, even by SIGKILL (Linux's PR_SET_PDEATHSIG;
    elsewhere nothing)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class CheckError(Exception):
    """The check could not run. `str()` is one line naming the file, policy or key at fault; `detail` (a
    traceback, a pack's stderr) is shown only with --verbose."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(" ".join(message.split()) if "\n" in message else message)
        self.detail = detail
