"""The suite's crash-safe journal and --bench-resume: nothing finished is lost when the process dies.

The saved run is written once, when the session ends (bench_lib.suite.saving); a process killed
before then (SIGKILL, the OOM killer, a preempted machine) would save nothing. So, when a run is saved
(--benchmark-save=NAME), every finished configuration is also appended, fsynced, to
`<storage>/<machine>/NAME.journal.jsonl` (bench_lib.record.journal_lines). With --bench-resume a later
session skips the journaled configurations, runs the rest and saves one complete run, the
journaled entries put back in it. A session that ends whole removes its journal; one that was
interrupted, stopped early or could not save keeps it for the next --bench-resume (a session
without it then refuses to start, unless the interrupted one saved a run holding it all). The journal's
fate is settled as soon as the run is saved, so a crash later in the session's end (a report
plugin, the terminal summary) never leaves it behind. The storage folder is checked before
TensorFlow starts.
"""

from __future__ import annotations

import contextlib
import datetime
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench_lib.config.wording import count
from bench_lib.record import journal_lines
from bench_lib.record.files import cannot_write, unwritable
from bench_lib.suite import pytest_adapter, saving, stash


@dataclass
class Journal:
    """The session's journal: where it is, what an earlier session left in it, and whether it has a header."""

    path: Path
    save_name: str
    resumed: list[dict] = field(default_factory=list)
    has_header: bool = False
    keep: bool = False  # an isolated configuration's child journal, read by the parent once the child ends

    @property
    def resumed_ids(self) -> set[str]:
        return {e["nodeid"] for e in self.resumed}


def check_before_work(config: pytest.Config) -> None:
    """Checks --bench-resume and the storage folder before TensorFlow starts; sets the session's journal.

    Exits (status 2, one line) when the folder cannot be made or written; a usage error when
    --bench-resume has no run to save or finds no journal, or when a journal exists without it.
    """
    saved = saving.take_over(config)
    resume, folder, name = config.getoption("--bench-resume"), saved.folder, saved.name if saved.journaled else None
    if resume and (folder is None or not name):
        raise pytest.UsageError("--bench-resume is not allowed without --benchmark-save=NAME into a file storage")
    if resume and config.stash[stash.CLUSTER] is not None:
        raise pytest.UsageError("--bench-resume is not allowed in a multi-worker cluster: every worker runs every step")
    if folder is None:
        return
    if problem := unwritable(folder, not_writable="{folder} is not writable (read-only file system or permissions)"):
        pytest.exit(f"tfbench: --benchmark-storage: cannot save into {folder}: {problem}", returncode=2)
    if not name:  # --benchmark-autosave: a fresh name every time, nothing to resume
        return
    path = journal_lines.journal_path(folder, name)
    if path.exists() and not resume and journal_lines.is_saved(path):
        path.unlink()  # an interrupted session saved all it held; a new session starts afresh
    if path.exists() and not resume:
        raise pytest.UsageError(
            f"--benchmark-save={name!r}: {path} holds the configurations of a session that did not finish; "
            "add --bench-resume to continue it, or move it away to start over"
        )
    if resume and not path.exists():
        raise pytest.UsageError(f"--bench-resume: there is no journal {path} to resume")
    config.stash[stash.JOURNAL] = Journal(path, name)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Reads what an earlier session journaled."""
    config = session.config
    sweep = config.stash.get(stash.JOURNAL, None)
    if sweep is None or not sweep.path.exists():
        return
    try:
        _, sweep.resumed = journal_lines.read(sweep.path)
    except journal_lines.JournalError as error:
        pytest.exit(f"tfbench: --bench-resume: {error}", returncode=2)
    sweep.has_header = True
    config.stash.setdefault(stash.RESULTS, []).extend(r for e in sweep.resumed for r in e["results"])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselects the configurations the journal holds: they finished in an earlier session."""
    sweep = config.stash.get(stash.JOURNAL, None)
    if sweep is None or not sweep.resumed:
        return
    done = sweep.resumed_ids
    config.hook.pytest_deselected(items=[item for item in items if item.nodeid in done])
    items[:] = [item for item in items if item.nodeid not in done]


def pytest_report_collectionfinish(config: pytest.Config) -> list[str]:
    sweep = config.stash.get(stash.JOURNAL, None)
    if sweep is None or not sweep.resumed:
        return []
    return [f"tfbench: resuming {sweep.save_name}: {count(len(sweep.resumed), 'configuration')} from {sweep.path}"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    benchmark = item.funcargs.get("benchmark") if call.when == "call" else None
    if benchmark is not None:
        item.stash[stash.CALL_OUTCOME] = (report.outcome, _saved_entry(item, benchmark))
    return report


def _saved_entry(item: pytest.Item, benchmark: object) -> dict | None:
    """The configuration's benchmark entry as it is saved; None when it timed nothing or did not end 'ok'.

    Where measure_run kept them, its rounds' times are the loop's own block times per optimizer step:
    pytest-benchmark times a round whole, so its times would include the bookkeeping run between a
    block's calls (an epoch-end evaluation, a probe) and be per block, whose size differs between
    configurations and machines.
    """
    entry = pytest_adapter.benchmark_entry(benchmark)
    if entry is None or item.stash.get(stash.NOT_SAVED, False):
        return None
    per_step = item.stash.get(stash.STEP_TIMES_S, None)
    if per_step is not None and len(per_step) == entry["stats"]["rounds"]:
        entry["stats"] = pytest_adapter.stats_of(per_step, iterations=entry["stats"]["iterations"])
    return _plain(entry)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Journals the configuration once pytest has run and reported it."""
    results = item.config.stash.setdefault(stash.RESULTS, [])
    before, started = len(results), time.perf_counter()
    outcome = yield
    ran = item.stash.get(stash.CALL_OUTCOME, None)
    if ran is not None and ran[0] in ("passed", "failed"):
        done = journal_lines.entry(
            nodeid=item.nodeid, outcome=ran[0], seconds=time.perf_counter() - started, benchmark=ran[1],
            results=_plain(results[before:]),
        )  # fmt: skip
        item.config.stash.setdefault(stash.FINISHED, []).append(done)
        write(item.config, done)
    return outcome


def _plain(value: object) -> object:
    """JSON-ready, as pytest-benchmark saves it (anything else as its text)."""
    import json

    return json.loads(pytest_adapter.dumps(value))


def write(config: pytest.Config, entry: dict) -> None:
    """Appends one finished configuration (the header first, once); a failed write ends the session, status 2."""
    sweep = config.stash.get(stash.JOURNAL, None)
    if sweep is None:
        return
    try:
        if not sweep.has_header:
            sweep.path.parent.mkdir(parents=True, exist_ok=True)  # pytest-benchmark makes it only when saving
            started = datetime.datetime.now(datetime.UTC).isoformat()
            machine_info, commit_info = saving.machine_and_commit(config)
            journal_lines.append(sweep.path, journal_lines.header(sweep.save_name, started, machine_info, commit_info))
            sweep.has_header = True
        journal_lines.append(sweep.path, entry)
    except OSError as error:
        pytest.exit(f"tfbench: {cannot_write(error, sweep.path)}; the journal holds every earlier configuration",
                    returncode=2)  # fmt: skip


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int):
    """Saves the run, then settles the journal: removed after a whole session, marked saved after an
    interrupted one that saved, kept otherwise; only then does the rest of the session's end run.

    A save that fails (no space, read-only) ends in one line and status 2, the journal kept.
    """
    config = session.config
    config.stash[stash.INTERRUPTED] = exitstatus == pytest.ExitCode.INTERRUPTED
    sweep = config.stash.get(stash.JOURNAL, None)
    try:
        failed, saved = None, saving.save(config)
    except OSError as error:
        failed, saved = cannot_write(error), []
    if sweep is not None and not sweep.keep:
        _settle(session, sweep, exitstatus, saved=bool(saved), failed=failed is not None)
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and sweep is not None and sweep.resumed:
        session.exitstatus = pytest.ExitCode.OK  # every configuration was journaled: the run is complete
    if failed is None:
        config.stash[stash.SAVED] = saved
    result = yield
    if failed is not None:
        kept = f"; the finished configurations are kept in {sweep.path}" if sweep and sweep.has_header else ""
        raise pytest.exit(f"tfbench: {failed}{kept}", returncode=2)
    return result


def _settle(session: pytest.Session, sweep: Journal, exitstatus: int, *, saved: bool, failed: bool) -> None:
    whole = exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED)
    if whole and not failed and not session.shouldstop and not session.shouldfail:
        sweep.path.unlink(missing_ok=True)
    elif saved and sweep.has_header:
        _mark_saved(sweep)


def _mark_saved(sweep: Journal) -> None:
    """The interrupted session saved a run: --bench-resume may still continue the journal, and a plain
    new session with the same name removes it instead of refusing to start."""
    with contextlib.suppress(OSError):  # the journal stays as it was: a new session then asks for --bench-resume
        journal_lines.append(sweep.path, journal_lines.saved(sweep.save_name))
