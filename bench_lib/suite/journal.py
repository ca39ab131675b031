"""The suite's crash-safe journal and --bench-resume: nothing finished is lost when the process dies.

pytest-benchmark writes the saved run once, when the session ends; a process killed before then
(SIGKILL, the OOM killer, a preempted machine) would save nothing. So, when a run is saved
(--benchmark-save=NAME), every finished configuration is also appended, fsynced, to
`<storage>/<machine>/NAME.journal.jsonl` (bench_lib.record.journal). With --bench-resume a later
session skips the journaled configurations, runs the rest and saves one complete run, the
journaled entries put back in it. A session that ends whole removes its journal; one that was
interrupted, stopped early or could not save keeps it for the next --bench-resume (a session
without it then refuses to start, unless the interrupted one saved a run holding it all). The storage
folder is checked before TensorFlow starts, and the saved run is written atomically.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench_lib.record import journal
from bench_lib.record.files import cannot_write, unwritable, write_atomic
from bench_lib.suite import stash


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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("tfbench").addoption(
        "--bench-resume",
        action="store_true",
        help="with --benchmark-save=NAME: skip the configurations NAME's journal holds (a session that died) "
        "and save one complete run",
    )


def storage_folder(config: pytest.Config) -> Path | None:
    """The folder pytest-benchmark saves runs into (`<storage>/<machine>`), or None when nothing is saved to files."""
    from pytest_benchmark.utils import get_machine_id

    save = config.getoption("benchmark_save", None) or config.getoption("benchmark_autosave", None)
    storage = config.getoption("benchmark_storage", None) or "file://./.benchmarks"
    if not save or ("://" in storage and not storage.startswith("file://")):
        return None
    return Path(storage.removeprefix("file://")).absolute() / get_machine_id()


def check_before_work(config: pytest.Config) -> None:
    """Checks --bench-resume and the storage folder before TensorFlow starts; sets the session's journal.

    Exits (status 2, one line) when the folder cannot be made or written; a usage error when
    --bench-resume has no run to save or finds no journal, or when a journal exists without it.
    """
    resume, folder = config.getoption("--bench-resume"), storage_folder(config)
    name = config.getoption("benchmark_save", None)
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
    path = journal.journal_path(folder, name)
    if path.exists() and not resume and journal.is_saved(path):
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
    """Reads what an earlier session journaled, and makes pytest-benchmark's save atomic."""
    config = session.config
    sweep = config.stash.get(stash.JOURNAL, None)
    if sweep is None:
        return
    if sweep.path.exists():
        try:
            _, sweep.resumed = journal.read(sweep.path)
        except journal.JournalError as error:
            pytest.exit(f"tfbench: --bench-resume: {error}", returncode=2)
        sweep.has_header = True
        config.stash.setdefault(stash.RESULTS, []).extend(r for e in sweep.resumed for r in e["results"])
    storage = config._benchmarksession.storage  # pytest-benchmark 5.3's session; pinned in setup.cfg
    storage.save = functools.partial(_save_atomic, storage)


def _save_atomic(storage, output_json: dict, save: str) -> None:
    """pytest-benchmark's FileStorage.save through a temporary file: a full disk leaves no half file."""
    from pytest_benchmark.utils import safe_dumps

    path = storage.get(f"{storage._next_num}_{save}.json")
    write_atomic(path, safe_dumps(output_json, ensure_ascii=True, indent=4))
    storage.logger.info(f"Saved benchmark data in: {path}")


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
    return [f"tfbench: resuming {sweep.save_name}: {len(sweep.resumed)} configurations from {sweep.path}"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    benchmark = item.funcargs.get("benchmark") if call.when == "call" else None
    if benchmark is not None:
        ran = benchmark.stats is not None and not benchmark.has_error
        item.stash[stash.CALL_OUTCOME] = (report.outcome, _plain(benchmark.stats.as_dict()) if ran else None)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Journals the configuration once pytest has run and reported it."""
    results = item.config.stash.setdefault(stash.RESULTS, [])
    before, started = len(results), time.perf_counter()
    outcome = yield
    ran = item.stash.get(stash.CALL_OUTCOME, None)
    if ran is not None and ran[0] in ("passed", "failed"):
        done = journal.entry(
            nodeid=item.nodeid, outcome=ran[0], seconds=time.perf_counter() - started, benchmark=ran[1],
            results=_plain(results[before:]),
        )  # fmt: skip
        item.config.stash.setdefault(stash.FINISHED, []).append(done)
        write(item.config, done)
    return outcome


def _plain(value: object) -> object:
    """JSON-ready, as pytest-benchmark saves it (anything else as its text)."""
    import json

    from pytest_benchmark.utils import safe_dumps

    return json.loads(safe_dumps(value))


def write(config: pytest.Config, entry: dict) -> None:
    """Appends one finished configuration (the header first, once); a failed write ends the session, status 2."""
    sweep = config.stash.get(stash.JOURNAL, None)
    if sweep is None:
        return
    try:
        if not sweep.has_header:
            sweep.path.parent.mkdir(parents=True, exist_ok=True)  # pytest-benchmark makes it only when saving
            bs = config._benchmarksession
            started = datetime.datetime.now(datetime.UTC).isoformat()
            commit = config.hook.pytest_benchmark_generate_commit_info(config=config)
            journal.append(sweep.path, journal.header(sweep.save_name, started, bs.get_machine_info(), commit))
            sweep.has_header = True
        journal.append(sweep.path, entry)
    except OSError as error:
        pytest.exit(f"tfbench: {cannot_write(error, sweep.path)}; the journal holds every earlier configuration",
                    returncode=2)  # fmt: skip


def pytest_benchmark_update_json(config: pytest.Config, benchmarks, output_json: dict) -> None:
    """Puts the journaled configurations into the saved run before the ones this session ran, and those
    that ran in child processes (--bench-isolate) after them."""
    keep_data = config._benchmarksession.save_data
    resumed = [_without_data(b, keep_data) for b in _resumed(config)]
    children = [_without_data(b, keep_data) for b in config.stash.get(stash.FROM_CHILDREN, [])]
    if resumed or children:
        output_json["benchmarks"] = resumed + output_json["benchmarks"] + children


def _resumed(config: pytest.Config) -> list[dict]:
    sweep = config.stash.get(stash.JOURNAL, None)
    return [e["benchmark"] for e in sweep.resumed if e.get("benchmark")] if sweep is not None else []


def _not_run_by_pytest_benchmark(config: pytest.Config) -> list[dict]:
    """The benchmark dicts of the journaled configurations, then of those run in child processes."""
    return _resumed(config) + config.stash.get(stash.FROM_CHILDREN, [])


def _without_data(bench: dict, keep_data: bool) -> dict:
    if keep_data:
        return bench
    return {**bench, "stats": {k: v for k, v in bench["stats"].items() if k != "data"}}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int):
    """Saves a resumed run whose every configuration was journaled; removes the journal of a whole session.

    Outside pytest-benchmark's own wrapper, which saves the run: a save that fails (no space,
    read-only) ends in one line and status 2, the journal kept.
    """
    sweep = session.config.stash.get(stash.JOURNAL, None)
    bs = session.config._benchmarksession
    wanted = bool(bs.save or bs.autosave or bs.json)
    saves = wanted and bool(bs.benchmarks or _not_run_by_pytest_benchmark(session.config))
    try:
        if saves and not bs.benchmarks:
            _save_journaled_only(session.config)
        result = yield
    except OSError as error:
        kept = f"; the finished configurations are kept in {sweep.path}" if sweep and sweep.has_header else ""
        raise pytest.exit(f"tfbench: {cannot_write(error)}{kept}", returncode=2) from None
    whole = exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED)
    if sweep is not None and not sweep.keep and whole and not session.shouldstop and not session.shouldfail:
        sweep.path.unlink(missing_ok=True)
    elif sweep is not None and not sweep.keep and saves and sweep.has_header:
        _mark_saved(sweep)
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and sweep is not None and sweep.resumed:
        session.exitstatus = pytest.ExitCode.OK  # every configuration was journaled: the run is complete
    return result


def _mark_saved(sweep: Journal) -> None:
    """The interrupted session saved a run: --bench-resume may still continue the journal, and a plain
    new session with the same name removes it instead of refusing to start."""
    with contextlib.suppress(OSError):  # the journal stays as it was: a new session then asks for --bench-resume
        journal.append(sweep.path, journal.saved(sweep.save_name))


def _save_journaled_only(config: pytest.Config) -> None:
    """pytest-benchmark saves nothing when none of its benchmarks ran in the session (all journaled, or run
    in child processes): they are saved here, as its handle_saving would (--benchmark-json with every
    round's data, the run into the storage), and pytest-benchmark's own saving is turned off."""
    bs = config._benchmarksession
    machine_info = bs.get_machine_info()
    commit_info = config.hook.pytest_benchmark_generate_commit_info(config=config)
    config.hook.pytest_benchmark_update_commit_info(config=config, commit_info=commit_info)

    def output_json(include_data: bool) -> dict:
        out = config.hook.pytest_benchmark_generate_json(
            config=config, benchmarks=[], include_data=include_data, machine_info=machine_info, commit_info=commit_info
        )
        config.hook.pytest_benchmark_update_json(config=config, benchmarks=[], output_json=out)
        return out

    if bs.json:
        bs.save_json(output_json(include_data=True))
    if save := bs.save or bs.autosave:
        bs.storage.save(output_json(include_data=bs.save_data), save)
    bs.save = bs.autosave = bs.json = None
