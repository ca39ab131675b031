"""Loading the runs a command names, with a warning line for each one it cannot use or that ran under load."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from bench_lib.cli.program import program
from bench_lib.record import fingerprint, history
from bench_lib.record.history import SavedRun


def warn_stderr(line: str) -> None:
    print(f"{program()}: warning: {line}", file=sys.stderr)


INCOMPLETE = "read from the journal of a sweep that never saved its run: its finished configurations only"


def one_run(selector: str, role: str, storage: Path) -> SavedRun:
    """Raises: HistoryError when the selector names nothing usable."""
    paths = history.resolve(selector, storage)
    if len(paths) > 1:
        newest = max(paths, key=lambda p: p.stat().st_mtime)
        warn_stderr(f"{role}={selector!r} matches {len(paths)} runs; using the newest, {newest}")
        paths = [newest]
    run = history.load_run(paths[0])
    for line in run.skipped:
        warn_stderr(line)
    if run.incomplete:
        warn_stderr(f"{role}={selector!r}: {run.path} is incomplete, {INCOMPLETE}")
    return run


def load_warnings(runs: Sequence[SavedRun]) -> list[str]:
    """Warns on stderr about each run measured under load; returns the lines for the report."""
    lines = [line for run in runs if (line := fingerprint.load_warning(run.name, run.machine))]
    for line in lines:
        warn_stderr(f"{line}; its timings may be slow")
    return lines
