"""The commands that read saved runs — report, compare, trend — one module each: read, decide, render, and
write files atomically.

Each returns the process exit status: 0 fine, 1 something is worse (compare) or regressed
(trend), 2 a run the user named could not be used, 3 (with --fail-insensitive, nothing worse) a
timing comparison could not have seen a change of the threshold's size. A file that cannot be
written raises OSError and replaces nothing (the command line makes it one line and status 2). A
run read from an unfinished sweep's journal is marked incomplete. Nothing here ever writes under
`.benchmarks/`.
"""

from __future__ import annotations

from collections.abc import Callable

from bench_lib.analysis import verdict

Printer = Callable[[str], None]


def exit_status(worse: bool, insensitive: bool) -> int:
    """1 when something is worse, else INSENSITIVE_EXIT when a demanded sensitivity was not reached, else 0."""
    return 1 if worse else (verdict.INSENSITIVE_EXIT if insensitive else 0)
