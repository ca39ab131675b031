"""Runs the further processes of --bench-processes in passes over every timed configuration of the session.

A configuration's processes run one after another right after it would share its moment of the
session: a slow drift of the machine (a neighbour starting, the clock settling) would then land
on some configurations and not others and read as their change. So the suite's own pass times
each configuration once (pass 0); after it, pass k runs the k-th further process of every queued
configuration, in an order rotated by one each pass, and each median is saved with its pass
(`process_medians` and `process_passes`), from which compare removes what each pass shared
(bench_lib.analysis.timing_noise.within_squares).

The passes run after the last configuration and before the run is saved. Each configuration is
journaled when it finishes, as always; after each whole pass the medians so far are written into
the configurations' saved entries, so an interrupted pass leaves the run saved with the passes
before it. A session killed during the passes leaves its journal without process medians:
--bench-resume runs the passes for those configurations again. A further process that fails
drops that configuration's process medians (its own result stands, with a warning). An isolated
configuration (--bench-isolate) runs its further processes in its own child, one after another,
since its child ends before the others start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.config.wording import count
from bench_lib.suite import processes, progress, stash
from bench_lib.suite.isolation import CHILD_JOURNAL


@dataclass
class Queued:
    """A configuration waiting for its further processes: its own median (pass 0) and those measured so far."""

    nodeid: str
    spec: RunSpec
    peak_gflops: float | None
    medians: list[float] = field(default_factory=list)
    passes: list[int] = field(default_factory=list)
    failed: str | None = None


QUEUE = pytest.StashKey[list]()  # queue_or_run: the configurations the passes run
# The saved keys, as bench_lib.analysis.timing_noise names and reads them (checked by tests/test_interleaving.py;
# not imported, so that the plugin does not load scipy when pytest starts).
PROCESS_MEDIANS, PROCESS_PASSES = "process_medians", "process_passes"


def queue_or_run(config: pytest.Config, nodeid: str, spec: RunSpec, result: dict) -> dict[str, list]:
    """What measure_run adds to an ok single-process configuration's result for --bench-processes N > 1.

    In a session: nothing yet; the configuration is queued for the passes. In an isolated child: its
    further processes now, one after another, as process_medians (without passes: they shared none).
    """
    wanted = config.stash[stash.PROFILE].processes
    if wanted == 1 or result["status"] != "ok" or spec.workers > 1 or not result.get("step_time_ms"):
        return {}
    own = result["step_time_ms"]["median"]
    if config.getoption(CHILD_JOURNAL, None) is None:
        config.stash.setdefault(QUEUE, []).append(Queued(nodeid, spec, result.get("peak_gflops"), [own], [0]))
        return {}
    try:
        further = processes.further_medians_ms(spec, wanted - 1, result.get("peak_gflops"))
    except RuntimeError as error:
        result["warnings"] = [*(result.get("warnings") or ()), f"no process medians: {error}"]
        return {}
    return {PROCESS_MEDIANS: [own, *further]}  # one after another: no passes shared with other configurations


def pass_order(queued: list, k: int) -> list:
    """Pass k's order: the queue rotated by k, so no configuration always runs first or last."""
    shift = k % len(queued) if queued else 0
    return queued[shift:] + queued[:shift]


def run_passes(queued: list[Queued], passes: int, entries: dict[str, dict], say=print, shown=None) -> None:
    """Runs passes 1 .. passes - 1 over queued, writing each configuration's medians into its entry after each pass.

    entries maps a node id to its saved benchmark entry (pytest-benchmark's, with extra_info). After each
    further process, shown(k, done, total, left_s), if given, hears how far pass k is and the seconds all
    the passes have left, priced at the mean seconds a further process took so far.
    """
    took: list[float] = []
    for k in range(1, passes):
        alive = [q for q in pass_order(queued, k) if q.failed is None]
        if not alive:
            return
        say(f"tfbench: further processes, pass {k} of {passes - 1}: {count(len(alive), 'configuration')}")
        for done, q in enumerate(alive, start=1):
            started = time.perf_counter()
            try:
                q.medians.append(processes.one_median_ms(q.spec, q.peak_gflops))
                q.passes.append(k)
            except RuntimeError as error:
                q.failed = str(error)
            took.append(time.perf_counter() - started)
            if shown is not None:
                left = len(alive) - done + (passes - 1 - k) * sum(q.failed is None for q in queued)
                shown(k, done, len(alive), left * sum(took) / len(took))
        for q in queued:
            _write(q, entries.get(q.nodeid))


def _write(q: Queued, entry: dict | None) -> None:
    """The queued configuration's medians so far into its saved entry's extra_info; a failure leaves them out."""
    if entry is None:
        return
    info = entry["extra_info"]
    if q.failed is not None:
        info.pop(PROCESS_MEDIANS, None)
        info.pop(PROCESS_PASSES, None)
        warning = f"no process medians: {q.failed}"
        if warning not in (info.get("warnings") or ()):
            info["warnings"] = [*(info.get("warnings") or ()), warning]
    elif len(q.medians) > 1:
        info[PROCESS_MEDIANS], info[PROCESS_PASSES] = list(q.medians), list(q.passes)


def resumed_without_medians(resumed: list[dict], processes: int) -> list[Queued]:
    """The configurations an earlier session journaled but whose passes it did not finish (--bench-resume), queued
    again: those measure_run timed (they carry train_traces), ok, single-process, without process medians."""
    queued = []
    for entry in resumed:
        info = (entry.get("benchmark") or {}).get("extra_info") or {}
        spec, step = info.get("spec") or {}, info.get("step_time_ms")
        eligible = info.get("status") == "ok" and "train_traces" in info and spec.get("workers", 1) == 1
        if processes > 1 and eligible and isinstance(step, dict) and PROCESS_MEDIANS not in info:
            own = step["median"]
            queued.append(Queued(entry["nodeid"], RunSpec.from_dict(spec), info.get("peak_gflops"), [own], [0]))
    return queued


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session):
    """After the last configuration, before the run is saved: the passes of further processes (also of the
    configurations a resumed session's journal holds without them)."""
    outcome = yield
    config = session.config
    sweep = config.stash.get(stash.JOURNAL, None)
    profile = config.stash.get(stash.PROFILE, None)
    processes_wanted = profile.processes if profile is not None else 1
    resumed = resumed_without_medians(sweep.resumed if sweep is not None else [], processes_wanted)
    queued = [*resumed, *config.stash.get(QUEUE, [])]
    if queued and not session.shouldstop and not session.shouldfail:
        finished = [*(sweep.resumed if sweep is not None else ()), *config.stash.get(stash.FINISHED, [])]
        entries = {e["nodeid"]: e["benchmark"] for e in finished if e.get("benchmark")}
        reporter = config.pluginmanager.get_plugin("terminalreporter")

        def say(line: str) -> None:
            progress.Screen.of(config).hide()  # the progress line, in a terminal, goes under what is said
            (reporter.write_line if reporter is not None else print)(line)

        run_passes(queued, processes_wanted, entries, say, _shown(config, processes_wanted - 1))
        progress.Screen.of(config).hide()
    return outcome


def _shown(config: pytest.Config, passes: int):
    """How a pass's progress is shown: as the suite's progress line, when the session shows one."""
    session_progress = config.stash.get(stash.PROGRESS, None)
    if session_progress is None:
        return None

    def shown(k: int, done: int, total: int, left_s: float) -> None:
        line = progress.pass_line(k, passes, done, total, session_progress.elapsed_s(), left_s)
        progress.Screen.of(config).show(line)

    return shown
