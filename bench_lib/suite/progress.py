"""A sweep's progress: configurations done / total, elapsed time and an estimate of the time left.

The estimate prices each remaining configuration by its planned work (optimizer steps × global
batch × seeds; for an epoch budget, the examples per epoch its dataset showed so far) at the
seconds per example the finished configurations took, or at their mean time when its work is not
known yet. With --bench-processes N, each timed configuration on one worker will run N - 1
further processes after the last configuration (bench_lib.suite.interleaving), each priced at the
seconds its own configuration took plus this session's own start-up until collection (Python,
TensorFlow, the suite), which a fresh process pays again; during those passes the line counts the processes of the
pass and prices what is left at the mean seconds a further process took so far. Configurations a
resumed session took from the journal count as done, with their times. In a terminal the progress
is one line under pytest's own, rewritten after every configuration; elsewhere (CI logs, a file) it
is one plain line per configuration.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import psutil
import pytest

from bench_lib.config.wording import count, duration
from bench_lib.suite import pytest_adapter, stash
from bench_lib.suite.grid import is_configuration


@dataclass(frozen=True)
class Finished:
    """One finished configuration: its seconds, and its results' spec dicts and optimizer steps."""

    seconds: float
    results: tuple[dict, ...] = ()


def examples_per_epoch(finished: list[Finished]) -> dict[str, float]:
    """What each dataset's epoch was, in examples, as the finished epoch-budget configurations showed it."""
    seen: dict[str, float] = {}
    for done in finished:
        for result in done.results:
            spec, steps = result.get("spec") or {}, result.get("optimizer_steps") or 0
            if spec.get("steps") is None and spec.get("epochs") and steps and result.get("status") == "ok":
                seen[spec.get("dataset")] = steps * result["global_batch_size"] / spec["epochs"]
    return seen


def planned_examples(spec: dict, per_epoch: dict[str, float]) -> float | None:
    """A configuration's planned work in examples (all seeds), or None when its epoch's size is not known yet."""
    seeds = spec.get("seeds") or 1
    if spec.get("steps") is not None:
        return spec["steps"] * spec["global_batch_size"] * seeds
    if spec.get("dataset") in per_epoch and spec.get("epochs"):
        return spec["epochs"] * per_epoch[spec["dataset"]] * seeds
    return None


def seconds_left(
    finished: list[Finished], remaining: list[dict | None], further_passes: int = 0, start_up_s: float = 0.0
) -> float | None:
    """The estimated seconds the remaining configurations (their spec dicts, None if unknown) will take, with
    further_passes more processes of each timed configuration on one worker, each costing its
    configuration's seconds and start_up_s more (a fresh process's Python and TensorFlow start-up).

    None until a configuration has finished.
    """
    if not finished:
        return None
    per_epoch = examples_per_epoch(finished)
    priced = [(planned_examples(r["spec"], per_epoch), f.seconds) for f in finished for r in f.results[:1]]
    priced = [(examples, seconds) for examples, seconds in priced if examples]
    rate = sum(s for _, s in priced) / sum(e for e, _ in priced) if priced else None
    mean = sum(f.seconds for f in finished) / len(finished)
    each = []
    for spec in remaining:
        examples = planned_examples(spec, per_epoch) if spec is not None else None
        each.append(examples * rate if examples is not None and rate is not None else mean)
    if not further_passes:
        return sum(each)
    queued = [f.seconds for f in finished if _runs_further_processes(f)]
    queued += [seconds for spec, seconds in zip(remaining, each, strict=True) if (spec or {}).get("workers", 1) == 1]
    return sum(each) + further_passes * (sum(queued) + len(queued) * start_up_s)


def _runs_further_processes(done: Finished) -> bool:
    """Whether a finished configuration is queued for the passes: ok, timed, on one worker, without process medians."""
    result = done.results[0] if done.results else {}
    return (
        result.get("status") == "ok"
        and bool(result.get("step_time_ms"))
        and (result.get("spec") or {}).get("workers", 1) == 1
        and "process_medians" not in result
    )


def progress_line(done: int, total: int, elapsed_s: float, left_s: float | None) -> str:
    configurations = count(total, "configuration")
    return f"tfbench progress: {done}/{configurations} done, {duration(elapsed_s)} elapsed, {_left(left_s)}"


def pass_line(k: int, passes: int, done: int, total: int, elapsed_s: float, left_s: float | None) -> str:
    """The line during the passes of further processes: which pass, its processes done, the time left in all."""
    return (
        f"tfbench progress: pass {k} of {passes}, {done}/{count(total, 'further process', 'further processes')} done, "
        f"{duration(elapsed_s)} elapsed, {_left(left_s)}"
    )


def _left(left_s: float | None) -> str:
    return "time left not known yet" if left_s is None else f"about {duration(left_s)} left"


@dataclass
class Progress:
    """The session's progress: what is planned, what finished (journaled ones included), since when."""

    planned: dict[str, dict | None]  # node id -> spec dict of every configuration still to run
    finished: list[Finished] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    earlier_s: float = 0.0  # the seconds journaled configurations took in earlier sessions
    total: int = 0
    further_passes: int = 0  # --bench-processes N - 1: the passes of further processes after the last configuration
    start_up_s: float = (
        0.0  # this process's start-up until its configurations were collected: a further one pays it too
    )
    screen: Screen | None = None  # where it is shown, made on first use

    def line(self) -> str:
        left = seconds_left(self.finished, list(self.planned.values()), self.further_passes, self.start_up_s)
        return progress_line(len(self.finished), self.total, self.elapsed_s(), left)

    def elapsed_s(self) -> float:
        return self.earlier_s + time.perf_counter() - self.started


def _spec_dict(item: pytest.Item) -> dict | None:
    spec = getattr(item, "callspec", None) and item.callspec.params.get("spec")
    if spec is None:
        return None
    return {**spec.as_dict(), "global_batch_size": spec.global_batch_size}


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    items = [item for item in session.items if is_configuration(item)]
    sweep = config.stash.get(stash.JOURNAL, None)
    resumed = sweep.resumed if sweep is not None else []
    if not items and not resumed:
        return
    progress = Progress(planned={item.nodeid: _spec_dict(item) for item in items})
    progress.finished = [Finished(e.get("seconds") or 0.0, tuple(e.get("results") or ())) for e in resumed]
    progress.earlier_s = sum(f.seconds for f in progress.finished)
    progress.total = len(items) + len(resumed)
    profile = config.stash.get(stash.PROFILE, None)
    if profile is not None and not config.getoption("--bench-isolate", False):  # an isolated child runs its own
        progress.further_passes = profile.processes - 1
        progress.start_up_s = max(0.0, time.time() - psutil.Process().create_time())
    config.stash[stash.PROGRESS] = progress


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Takes the terminal's progress line away just before pytest writes this configuration's outcome."""
    report = yield
    if call.when == "call" or report.outcome != "passed":
        Screen.of(item.config).hide()
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """After a configuration is reported: it counts as done, and the progress is shown."""
    started = time.perf_counter()
    outcome = yield
    progress = item.config.stash.get(stash.PROGRESS, None)
    if progress is not None and item.nodeid in progress.planned:
        del progress.planned[item.nodeid]
        results = [r for r in item.config.stash.get(stash.RESULTS, []) if r.get("name") == item.name]
        progress.finished.append(Finished(time.perf_counter() - started, tuple(results[-1:])))
        Screen.of(item.config).show(progress.line())
    return outcome


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    Screen.of(config).hide()


@dataclass
class Screen:
    """Where the progress goes: an updating line under pytest's output in a terminal, else plain lines."""

    terminal: object  # pytest's TerminalReporter
    shown: tuple | None = None  # pytest's writer state before our line: (currentfspath, its current line)

    @staticmethod
    def of(config: pytest.Config) -> Screen:
        progress = config.stash.get(stash.PROGRESS, None)
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        if progress is None or terminal is None:
            return _NoScreen()
        if progress.screen is None:
            progress.screen = Screen(terminal)
        return progress.screen

    def show(self, line: str) -> None:
        tr = self.terminal
        if not tr.isatty or tr.config.get_verbosity() > 0:
            tr.ensure_newline()
            if pytest_adapter.written_width(tr):  # -q writes its dots without a file name
                tr.write("\n")
            tr.write_line(line)
            return
        self.hide()
        width = pytest_adapter.terminal_width(tr)
        if pytest_adapter.written_width(tr) >= width:
            tr.write_line(line)  # the terminal wrapped pytest's line: going back up would miss it
            return
        self.shown = (tr.currentfspath, pytest_adapter.written_line(tr))
        tr.ensure_newline()
        tr.write(line[: width - 1], flush=True)

    def hide(self) -> None:
        """Erases our line and puts the cursor back at the end of pytest's line above it."""
        if self.shown is None:
            return
        tr, (fspath, current) = self.terminal, self.shown
        tr.write_raw(f"\r\x1b[K\x1b[1A\x1b[{len(current)}C" if current else "\r\x1b[K\x1b[1A", flush=True)
        tr.currentfspath = fspath
        pytest_adapter.restore_written_line(tr, current)
        self.shown = None


class _NoScreen(Screen):
    def __init__(self) -> None:
        super().__init__(terminal=None)

    def show(self, line: str) -> None:
        pass

    def hide(self) -> None:
        pass
