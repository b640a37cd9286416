"""Regexes from config, and the pack's own, compiled with RE2: matching takes linear time, so no pattern can hang
a preview. RE2 has no backreferences or lookarounds; a config pattern using them is a config error when the pack
is configured. The pack never uses Python's `re` on what a program sends (tests/test_patterns.py).
"""

from __future__ import annotations

import functools
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the error is the config error's text; nothing goes to the pack's stderr
_OPTIONS.never_capture = True
_OURS = re2.Options()
_OURS.log_errors = False


class PatternError(ValueError):
    """A config regex RE2 cannot compile; the text is RE2's reason."""


@functools.lru_cache(maxsize=512)
def compiled(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        raise PatternError(reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)) from None


def search(pattern: str, text: str) -> bool:
    return compiled(pattern).search(text) is not None


def fullmatch(pattern: str, text: str) -> bool:
    return compiled(pattern).fullmatch(text) is not None


@functools.lru_cache(maxsize=1024)
def linear(pattern: str) -> Any:
    """One of the pack's own regexes, groups kept; it raises at import if RE2 cannot run it."""
    return re2.compile(pattern, _OURS)


def linear_set(patterns: list[str]) -> Any:
    """The patterns as one RE2 set: `.Match(text)` gives the indices of those found in text, or None."""
    found = re2.Set.SearchSet(_OPTIONS)
    for pattern in patterns:
        found.Add(pattern)
    found.Compile()
    return found
