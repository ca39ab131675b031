"""Starts the workers of one multi-worker run on this machine and watches them until the run ends.

Each worker is the same command with its own TF_CONFIG (loopback addresses on free ports, or with
`netns` its own network namespace's address, bench_lib/cli/launch/netns.py; worker 0 is the chief),
TFBENCH_REPLICAS_PER_WORKER and a heartbeat file (bench_lib/config/heartbeat.py). The chief's
output is streamed with a `[worker 0]` prefix; every worker's last lines are kept for error
messages. The run is over when the chief exits: its status is returned. A worker that cannot be
started, exits non-zero or dies from a signal is a fault: every other worker is stopped at once
and the launcher exits non-zero naming that worker and its last output. So is a worker whose
heartbeat has been silent for `heartbeat_timeout_s` (alive but stopped or wedged): it is killed
and named. No wait is unbounded: processes still running `stop_timeout_s` after the run ended
(or after SIGTERM) are killed.
"""

from __future__ import annotations

import collections
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from bench_lib.cli.launch import netns
from bench_lib.cli.program import program
from bench_lib.config import cluster, heartbeat

TAIL_LINES = 15
_POLL_S = 0.05


@dataclass(frozen=True, kw_only=True)
class LaunchOptions:
    """What to start: `workers` copies of `command`, each with `replicas_per_worker` replicas."""

    command: tuple[str, ...]
    workers: int
    replicas_per_worker: int = 1
    stop_timeout_s: float = 30.0
    stream_all: bool = False
    netns: bool = False
    netem: str | None = None  # with netns: tc netem arguments for every worker's link, e.g. "delay 2ms rate 1gbit"
    heartbeat_timeout_s: float = 30.0
    heartbeats: Path | None = None  # the folder of the workers' heartbeat files; set by launch()

    def __post_init__(self) -> None:
        if not self.command:
            raise ValueError("command=() is not allowed: give the command after --, e.g. -- pytest benchmarks/")
        for name in ("workers", "replicas_per_worker"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} is not allowed: a whole number >= 1")
        for name in ("stop_timeout_s", "heartbeat_timeout_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
                raise ValueError(f"{name}={value!r} is not allowed: seconds in (0, 3600]")
        if self.netem is not None and (not self.netns or not self.netem.split()):
            raise ValueError(f"netem={self.netem!r} is not allowed: tc netem arguments, only with --netns")


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports nobody listens on now (another process may still take one later)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class _Worker:
    """One worker process, its output reader and its last lines of output."""

    def __init__(
        self, index: int, process: subprocess.Popen, echo: TextIO | None, lock: threading.Lock, beat: Path | None
    ) -> None:
        self.index = index
        self.process = process
        self.heartbeat = beat
        self.started_at = time.monotonic()
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self._reader = threading.Thread(target=self._read, args=(echo, lock), daemon=True)
        self._reader.start()

    @property
    def name(self) -> str:
        return f"worker {self.index}"

    def _read(self, echo: TextIO | None, lock: threading.Lock) -> None:
        for line in self.process.stdout:
            line = line.rstrip("\n")
            self.tail.append(line)
            if echo is not None:
                with lock:
                    echo.write(f"[{self.name}] {line}\n")
                    echo.flush()

    def signal(self, signum: int) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)  # its own process group: the command and its children
                if signum == signal.SIGTERM:
                    os.killpg(self.process.pid, signal.SIGCONT)  # a stopped process acts on SIGTERM only once resumed

    def state(self) -> str:
        """Its state letter in /proc (R running, S sleeping, T stopped, ...), or '?'."""
        try:
            stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        except OSError:
            return "?"
        return stat.rpartition(")")[2].split()[0]

    def finish_output(self) -> None:
        self._reader.join(timeout=1.0)

    def describe_exit(self) -> str:
        code = self.process.returncode
        after = f"after {time.monotonic() - self.started_at:.1f} s"
        if code < 0:
            return f"{self.name} was killed by {signal.Signals(-code).name} {after}"
        return f"{self.name} exited with status {code} {after}"


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def _start(options: LaunchOptions, out: TextIO, lock: threading.Lock, network: netns.Network | None) -> list[_Worker]:
    """Starts every worker; on failure stops those started and raises OSError naming the worker."""
    if network is None:
        addresses = [f"localhost:{port}" for port in free_ports(options.workers)]
    else:
        addresses = network.endpoints()
    workers: list[_Worker] = []
    for index in range(options.workers):
        command = options.command if network is None else network.command(index, options.command)
        beat = options.heartbeats / f"worker-{index}" if options.heartbeats else None
        env = {
            **os.environ,
            cluster.TF_CONFIG_ENV: cluster.tf_config(addresses, index),
            cluster.REPLICAS_PER_WORKER_ENV: str(options.replicas_per_worker),
            heartbeat.HEARTBEAT_ENV: str(beat or ""),
            "PYTHONUNBUFFERED": "1",
        }
        try:
            process = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                start_new_session=True,
            )
        except OSError as error:
            _stop(workers, options.stop_timeout_s)
            raise OSError(f"worker {index} could not start {options.command[0]!r}: {error.strerror or error}") from None
        echo = out if index == 0 or options.stream_all else None
        workers.append(_Worker(index, process, echo, lock, beat))
    return workers


def _stop(workers: list[_Worker], timeout_s: float) -> list[_Worker]:
    """SIGTERM to every running worker, SIGKILL to those still running after timeout_s; returns those killed."""
    for worker in workers:
        worker.signal(signal.SIGTERM)
    return _reap(workers, time.monotonic() + timeout_s)


def _reap(workers: list[_Worker], deadline: float) -> list[_Worker]:
    """Waits until deadline for the workers to end, then kills the rest; returns those killed."""
    killed = []
    for worker in workers:
        try:
            worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.signal(signal.SIGKILL)
            worker.process.wait()
            killed.append(worker)
        worker.finish_output()
    return killed


def _fault_message(failed: _Worker, stopped: list[_Worker]) -> str:
    others = ", ".join(str(w.index) for w in stopped) or "none"
    lines = [f"{failed.describe_exit()}; stopped the other workers ({others}). Its last output:"]
    lines += [f"  [{failed.name}] {line}" for line in failed.tail] or ["  (no output)"]
    return "\n".join(lines)


def launch(options: LaunchOptions, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Runs the workers to the end; returns the chief's exit status, or non-zero for a fault."""
    out, err = out or sys.stdout, err or sys.stderr
    lock = threading.Lock()

    def error(message: str) -> None:
        with lock:
            err.write(f"{program()} launch: error: {message}\n")
            err.flush()

    # SIGTERM to the launcher stops the workers too: they run in their own process groups.
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main_thread else None
    workers: list[_Worker] = []
    shaping = tuple((options.netem or "").split())
    network = netns.Network(options.workers, os.getpid(), shaping) if options.netns else None
    options = replace(options, heartbeats=Path(tempfile.mkdtemp(prefix="tfbench-heartbeats-")))
    try:
        if network is not None:
            netns.remove_orphans()
            network.create()
        workers = _start(options, out, lock, network)
        return _watch(workers, options, error)
    except OSError as failure:
        error(str(failure))
        return 1
    except KeyboardInterrupt:
        _stop(workers, options.stop_timeout_s)
        error("interrupted; stopped every worker")
        return 130
    finally:
        _stop(workers, options.stop_timeout_s)  # nothing outlives the launcher
        if network is not None:
            network.remove()
        shutil.rmtree(options.heartbeats, ignore_errors=True)
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _watch(workers: list[_Worker], options: LaunchOptions, error) -> int:
    chief = workers[0]
    while True:
        if stuck := _stuck(workers, options):
            return _stop_stuck(stuck, workers, options, error)
        for worker in workers:
            code = worker.process.poll()
            if code is None or (code == 0) or (worker is chief and code > 0):
                continue
            # A fault: a worker died from a signal, or a non-chief worker failed.
            others = [w for w in workers if w is not worker and w.process.poll() is None]
            _stop(others, options.stop_timeout_s)
            worker.finish_output()
            error(_fault_message(worker, others))
            return _exit_code(code)
        if chief.process.poll() is not None:
            return _end_of_run(workers, options, error)
        time.sleep(_POLL_S)


def _stuck(workers: list[_Worker], options: LaunchOptions) -> tuple[_Worker, float] | None:
    """The first running worker whose heartbeat has been silent for longer than the timeout."""
    for worker in workers:
        if worker.heartbeat is None or worker.process.poll() is not None:
            continue
        silent = heartbeat.silent_for(worker.heartbeat)
        if silent is not None and silent > options.heartbeat_timeout_s:
            return worker, silent
    return None


_STATES = {"T": "stopped by a signal", "t": "stopped by a debugger", "D": "waiting in the kernel"}


def _stop_stuck(stuck: tuple[_Worker, float], workers: list[_Worker], options: LaunchOptions, error) -> int:
    """A worker alive but silent: SIGKILL to it (a stopped process ignores SIGTERM), SIGTERM to the others."""
    worker, silent = stuck
    state = worker.state()
    how = f"; it is {_STATES[state]}" if state in _STATES else ""
    worker.signal(signal.SIGKILL)
    worker.process.wait()
    others = [w for w in workers if w is not worker and w.process.poll() is None]
    _stop(others, options.stop_timeout_s)
    worker.finish_output()
    lines = [
        f"{worker.name} is alive but stuck: no heartbeat for {silent:.0f} s (--heartbeat-timeout "
        f"{options.heartbeat_timeout_s:g}){how}; killed it and stopped the other workers "
        f"({', '.join(str(w.index) for w in others) or 'none'}). Its last output:"
    ]
    lines += [f"  [{worker.name}] {line}" for line in worker.tail] or ["  (no output)"]
    error("\n".join(lines))
    return 1


def _end_of_run(workers: list[_Worker], options: LaunchOptions, error) -> int:
    """The chief has exited: the others get stop_timeout_s to finish (one found stuck meanwhile is killed
    and named), then are killed."""
    chief, others = workers[0], workers[1:]
    deadline = time.monotonic() + options.stop_timeout_s
    while time.monotonic() < deadline and any(w.process.poll() is None for w in others):
        if stuck := _stuck(others, options):  # e.g. the chief failed because this one stopped
            _stop_stuck(stuck, workers, options, error)
            return chief.process.returncode or 1
        time.sleep(_POLL_S)
    killed = _reap(others, deadline)
    chief.finish_output()
    for worker in killed:
        error(f"{worker.name} was still running {options.stop_timeout_s:g} s after the chief exited; killed it")
    failed = [w for w in others if w not in killed and w.process.returncode != 0]
    for worker in failed:
        error(_fault_message(worker, []))
    if chief.process.returncode == 0 and failed:
        return _exit_code(failed[0].process.returncode)
    return chief.process.returncode
