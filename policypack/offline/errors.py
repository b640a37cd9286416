"""The one error the offline check raises when it cannot run (exit code 2)."""

from __future__ import annotations


class CheckError(Exception):
    """The check could not run. `str()` is one line naming the file, policy or key at fault; `detail` (a
    traceback, a pack's stderr) is shown only with --verbose."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(" ".join(message.split()) if "\n" in message else message)
        self.detail = detail
