"""--bench-isolate: each configuration in its own child process, so that one that dies ends only itself.

The child is pytest on that one configuration, with the session's --bench-* options and -p
plugins, writing its finished configuration to a private journal (bench_lib.record.journal_lines) that
this process reads back. A child killed by a signal is recorded as `crashed` (SIGSEGV, SIGABRT,
...) or `killed` (SIGKILL: the kernel's OOM killer, kill -9); one still running after
--bench-timeout seconds is killed and recorded as `timeout`; the sweep goes on either way. Memory
figures are then the child's own. Each child pays a Python, pytest and TensorFlow start-up.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench_lib.record import journal_lines
from bench_lib.record.result import RunResult, with_scaling_efficiency
from bench_lib.suite import stash
from bench_lib.suite.grid import is_configuration

CHILD_JOURNAL = "--bench-child-journal"


def pytest_addoption(parser: pytest.Parser) -> None:
    # --bench-isolate and --bench-timeout are declared with every other option, in bench_lib.suite.options.
    parser.getgroup("tfbench").addoption(CHILD_JOURNAL, default=None, help=argparse.SUPPRESS)  # a child's journal


def timeout_s(config: pytest.Config) -> float | None:
    """--bench-timeout in seconds (None: no limit).

    Raises:
      pytest.UsageError: not a number > 0, given without --bench-isolate, or isolation in a cluster.
    """
    text = config.getoption("--bench-timeout")
    isolate = config.getoption("--bench-isolate")
    if isolate and config.stash[stash.CLUSTER] is not None:
        raise pytest.UsageError("--bench-isolate is not allowed in a multi-worker cluster: the workers train together")
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise pytest.UsageError(f"--bench-timeout={text!r} is not allowed: a number of seconds > 0")
    if not isolate:
        raise pytest.UsageError(f"--bench-timeout={text!r} is not allowed without --bench-isolate")
    return value


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    timeout_s(config)  # checked before any configuration runs
    if (path := config.getoption(CHILD_JOURNAL)) is not None:
        from bench_lib.suite.journal import Journal

        config.stash[stash.JOURNAL] = Journal(Path(path), "child", has_header=True, keep=True)


@dataclass(frozen=True)
class Child:
    """How a child process ended: `status` is ok, crashed, killed or timeout."""

    status: str
    returncode: int | None
    entries: tuple[dict, ...]
    output: str
    seconds: float

    @property
    def cause(self) -> str:
        if self.status == "timeout":
            return "still running after --bench-timeout; killed"
        name = signal.Signals(-self.returncode).name if self.returncode and self.returncode < 0 else ""
        return f"the child process ended by {name}" if name else f"the child process exited with {self.returncode}"


def run_child(command: list[str], child_journal: Path, timeout: float | None) -> Child:
    """Runs command (in its own process group) and reads what it journaled."""
    started = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            returncode = process.wait(timeout=timeout)
            status = _status(returncode)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            returncode, status = process.wait(), "timeout"
        out.seek(0)
        output = out.read()
    entries = journal_lines.read(child_journal, header=False)[1] if child_journal.exists() else []
    return Child(status, returncode, tuple(entries), output, time.perf_counter() - started)


def _status(returncode: int) -> str:
    if returncode >= 0:
        return "ok"
    return "killed" if -returncode == signal.SIGKILL else "crashed"


# tfbench options that concern this session, not a configuration: a child never gets them.
_SESSION_ONLY = ("--bench-isolate", "--bench-timeout", "--bench-resume")


def _forwarded_options(config: pytest.Config) -> list[str]:
    """Every tfbench option (a --bench-* one) given, flags included, but the session's own and the hidden one."""
    options = []
    for dest, value in sorted(vars(config.option).items()):
        name = "--" + dest.replace("_", "-")
        if not dest.startswith("bench_") or name in (*_SESSION_ONLY, CHILD_JOURNAL):
            continue
        if value is True:
            options.append(name)
        elif value is not None and value is not False:
            options.append(f"{name}={value}")
    return options


def child_command(config: pytest.Config, nodeid: str, child_journal: Path) -> list[str]:
    """pytest on one configuration with this session's tfbench options and -p plugins; it saves nothing."""
    options = _forwarded_options(config)
    args = list(config.invocation_params.args)
    plugins = [a for i, a in enumerate(args) if i > 0 and args[i - 1] == "-p"]
    plugins += [a[2:] for a in args if a.startswith("-p") and len(a) > 2]
    plugins = [p for p in dict.fromkeys(plugins) if p != "no:cacheprovider"]
    return [
        sys.executable, "-m", "pytest", nodeid, "-q", "-rs", "-p", "no:cacheprovider",
        *(x for p in plugins for x in ("-p", p)), *options, f"{CHILD_JOURNAL}={child_journal}",
    ]  # fmt: skip


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """Runs a configuration in a child process and reports it as pytest would have."""
    config = item.config
    if not config.getoption("--bench-isolate") or not is_configuration(item):
        return None
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    with tempfile.TemporaryDirectory(prefix="tfbench-child-") as folder:
        child_journal = Path(folder) / "child.journal.jsonl"
        child = run_child(child_command(config, item.nodeid, child_journal), child_journal, timeout_s(config))
    call = pytest.CallInfo.from_call(lambda: _conclude(item, child), when="call")
    report = item.ihook.pytest_runtest_makereport(item=item, call=call)
    item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def _conclude(item: pytest.Item, child: Child) -> None:
    """Takes the child's results into this session; raises pytest's outcome of the configuration."""
    results = item.config.stash.setdefault(stash.RESULTS, [])
    if child.status != "ok":
        spec = getattr(item, "callspec", None) and item.callspec.params.get("spec")
        message = f"{spec.id if spec else item.name}: {child.status}: {child.cause}"
        if spec is not None:
            result = RunResult(spec=spec, status=child.status, error=child.cause, wall_s=child.seconds).as_dict()
            question = item.originalname.removeprefix("test_")
            results.append({"question": question, "name": item.name, "group": item.originalname, **result})
            item.stash[stash.CALL_OUTCOME] = ("failed", None)
        pytest.fail(message, pytrace=False)
    if not child.entries:
        skipped = re.search(r"^SKIPPED \[\d+\] [^:]+:\d+: (.*)$", child.output, re.MULTILINE)
        if child.returncode == 0 and skipped:
            pytest.skip(skipped.group(1))
        pytest.fail(f"{item.name}: the child process ended with {child.returncode}:\n{child.output[-3000:]}")
    (entry,) = child.entries
    bench = entry.get("benchmark")
    for result in entry.get("results") or ():
        result = {**result, **with_scaling_efficiency(result, results)}
        results.append(result)
        if bench is not None and result.get("status") == "ok":
            bench["extra_info"] = {**bench["extra_info"], "scaling_efficiency": result.get("scaling_efficiency")}
    item.stash[stash.CALL_OUTCOME] = (entry["outcome"], bench)
    if entry["outcome"] == "failed":
        pytest.fail(f"{item.name}: failed in its child process:\n{child.output[-3000:]}", pytrace=False)
