"""Slow subprocess fixtures, started in the background as soon as the tests are collected.

A test module registers what its fixture runs (`@job("fixture_name")`); tests/conftest.py starts
every registered job whose fixture a collected test uses, a few at a time, and the fixture waits
for its job's value (`wait("fixture_name")`). Each job pays a TensorFlow import (~5 s)
and trains on the second core while the in-process tests, which use about one, run beside it.
A job's exception is raised in the test that waits for it. The tests that wait for a job run
after all the others (`waiting_last`), so the in-process tests cover the jobs' time.
"""

import contextlib
import errno
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

# At most this many jobs run at once: each runs one or more TensorFlow processes on 2 cores.
CONCURRENT_JOBS = 2

_REGISTERED: dict[str, Callable[[Path], object]] = {}


def job(fixture_name: str) -> Callable:
    """Registers the decorated `run(folder) -> value` as the background job of `fixture_name`."""

    def register(run: Callable[[Path], object]) -> Callable[[Path], object]:
        _REGISTERED[fixture_name] = run
        return run

    return register


class Jobs:
    """The started jobs of one session, their private folders and their live processes."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=CONCURRENT_JOBS, thread_name_prefix="tests-background")
        self._futures: dict[str, Future] = {}
        self._folders: list[Path] = []
        self._processes: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self._closing = False

    def start(self, fixture_name: str) -> None:
        if fixture_name not in self._futures:
            folder = Path(tempfile.mkdtemp(prefix=f"tfbench-{fixture_name}-"))
            self._folders.append(folder)
            self._futures[fixture_name] = self._pool.submit(_REGISTERED[fixture_name], folder)

    def wait(self, fixture_name: str, timeout: float) -> object:
        self.start(fixture_name)
        return self._futures[fixture_name].result(timeout=timeout)

    def popen(self, command: list[str], **kwargs) -> subprocess.Popen:
        """subprocess.Popen in a new process group, killed with its children if the session ends first."""
        with self._lock:
            if self._closing:
                raise RuntimeError("the test session is ending")
            process = _spawn(command, **kwargs)
            self._processes.add(process)
        return process

    def forget(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._processes.discard(process)

    def close(self) -> None:
        """Kills what still runs (the session ended before its test: -x, Ctrl-C) and removes the folders."""
        with self._lock:
            self._closing = True
            for process in self._processes:
                _kill_group(process)
        for future in self._futures.values():
            future.cancel()
        self._pool.shutdown(wait=True)
        for folder in self._folders:
            shutil.rmtree(folder, ignore_errors=True)


# A spawn from a job's thread, while the main thread loads TensorFlow, has once failed in a sandboxed CI
# with EFAULT ("Bad address") from exec, and every test waiting for that job then failed with it.
SPAWN_ATTEMPTS = 3


def _spawn(command: list[str], **kwargs) -> subprocess.Popen:
    """subprocess.Popen in a new process group, tried again after a transient EFAULT from exec."""
    for attempt in range(1, SPAWN_ATTEMPTS + 1):
        try:
            return subprocess.Popen(command, start_new_session=True, **kwargs)
        except OSError as error:
            if error.errno != errno.EFAULT or attempt == SPAWN_ATTEMPTS:
                raise
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL to the process and its children (its own process group), if it still runs."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
            os.killpg(process.pid, signal.SIGKILL)


def waiting_last(items: list[pytest.Item]) -> None:
    """Moves the tests that wait for a job after the others, in their order, so the jobs have run by then."""
    items.sort(key=lambda item: any(name in _REGISTERED for name in getattr(item, "fixturenames", ())))


# The session's jobs: one test session per process; the jobs' threads reach them through run() and popen().
_current: Jobs | None = None


def start_session(session: pytest.Session) -> None:
    """Starts the job of every registered fixture a collected test uses (tests/conftest.py, after collection)."""
    global _current
    _current = Jobs()
    used = {name for item in session.items for name in getattr(item, "fixturenames", ())}
    for fixture_name in _REGISTERED:  # registration order: the earliest-needed first
        if fixture_name in used:
            _current.start(fixture_name)


def end_session() -> None:
    if _current is not None:
        _current.close()


def wait(fixture_name: str, timeout: float = 900) -> object:
    """The value of `fixture_name`'s job, started now if collection did not start it."""
    return _current.wait(fixture_name, timeout)


def run(command: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run(capture_output=True, text=True) whose process the session can kill."""
    process = popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        process.communicate()
        raise
    finally:
        forget(process)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def popen(command: list[str], **kwargs) -> subprocess.Popen:
    """subprocess.Popen in a new process group that the session kills if it ends first; forget() it when done."""
    return _current.popen(command, **kwargs)


def forget(process: subprocess.Popen) -> None:
    _current.forget(process)
