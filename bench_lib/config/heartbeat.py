"""The heartbeat a launched worker writes and its launcher reads, to tell a stuck worker from a slow one.

The launcher gives each worker a file (TFBENCH_HEARTBEAT_FILE); a daemon thread in the worker
touches it every HEARTBEAT_INTERVAL_S. A worker that is alive but stopped (SIGSTOP, a debugger)
or whose interpreter is wedged stops touching it; a worker busy in a long TensorFlow op does
not, because TensorFlow releases the interpreter while its ops run. The launcher judges only
files that were written at least once, so a command that never starts the heartbeat is never
called stuck. Pure Python, no TensorFlow.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path

HEARTBEAT_ENV = "TFBENCH_HEARTBEAT_FILE"
HEARTBEAT_INTERVAL_S = 1.0


def start(environ: Mapping[str, str] | None = None) -> bool:
    """Starts this process's heartbeat when a launcher asked for one; True if it runs.

    Calling it again does nothing more. The thread ends with the process.
    """
    path = (os.environ if environ is None else environ).get(HEARTBEAT_ENV, "")
    if not path:
        return False
    name = "tfbench-heartbeat"
    if not any(t.name == name for t in threading.enumerate()):
        threading.Thread(target=_beat, args=(Path(path),), name=name, daemon=True).start()
    return True


def _beat(path: Path) -> None:
    while True:
        with contextlib.suppress(OSError):  # the launcher removed the folder: the run is over
            path.touch()
        time.sleep(HEARTBEAT_INTERVAL_S)


def silent_for(path: Path, now: float | None = None) -> float | None:
    """Seconds since the heartbeat at `path` was last written; None if it never was."""
    try:
        written = path.stat().st_mtime
    except FileNotFoundError:
        return None
    return max(0.0, (time.time() if now is None else now) - written)
