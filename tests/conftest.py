"""Fixtures shared by the suite and report tests: one real suite run on a tiny grid, saved as pytest-benchmark does."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Every process the tests start (suites, launched workers, the CLI) and this one judge MFU against a
# declared peak instead of calibrating one (2 s each): tests/test_speed.py tests the calibration.
os.environ.setdefault("TFBENCH_PEAK_GFLOPS", "150")
# Three questions; one_device at two batch sizes and mirrored on 3 replicas at one, so every report
# feature has something to show (learning curves need 2 epochs). 128 / 3 replicas and 2048 > 1438
# digits examples are impossible grid points, skipped with their reasons. The throughput knobs are
# left out: the report shows them like any other row, and tests/test_suite.py runs one of them.
TINY_GRID = (
    "(test_batch_size and not fixed_steps) or (test_accumulation and mlp and (acc1 or acc4))"
    " or (test_throughput and one_device and mlp and (bs64 or bs256) and not (spe8 or xla or cache or pf0))"
)
TINY_OPTIONS = ("--bench-replicas", "3", "--bench-batch-sizes", "96,128,2048", "--bench-epochs", "2")


class SuiteRun(NamedTuple):
    saved: Path  # pytest-benchmark's saved file, 0001_tiny.json (read-only use)
    stdout: str


class _Started(NamedTuple):
    process: subprocess.Popen
    folder: Path  # storage/ (the saved run), stdout.txt, stderr.txt


_STARTED = pytest.StashKey[_Started]()


def _start_suite_run() -> _Started:
    """Starts benchmarks/ in a fresh pytest process on the tiny grid with --benchmark-save-data."""
    folder = Path(tempfile.mkdtemp(prefix="tfbench-tiny-suite-"))
    storage = folder / "storage"
    command = [
        sys.executable, "-m", "pytest", "benchmarks/", "-q", "-rs", "-p", "no:cacheprovider", "-k", TINY_GRID,
        *TINY_OPTIONS, f"--benchmark-storage=file://{storage}", "--benchmark-save=tiny", "--benchmark-save-data",
    ]  # fmt: skip
    with open(folder / "stdout.txt", "w") as stdout, open(folder / "stderr.txt", "w") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, stdout=stdout, stderr=stderr, text=True)
    return _Started(process, folder)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Starts the tiny suite run as soon as the tests that need it are collected.

    It then runs on the second core beside the in-process tests that come first (which use
    about one core), instead of alone when the first report test asks for it.
    """
    if any("suite_run" in item.fixturenames for item in session.items if hasattr(item, "fixturenames")):
        session.config.stash[_STARTED] = _start_suite_run()


def pytest_sessionfinish(session: pytest.Session) -> None:
    started = session.config.stash.get(_STARTED, None)
    if started is not None:
        if started.process.poll() is None:  # the session ended before any test needed it (-x, Ctrl-C)
            started.process.kill()
            started.process.wait()
        shutil.rmtree(started.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def suite_run(request) -> SuiteRun:
    """The tiny suite run, waited for (it was started after collection)."""
    started = request.config.stash.get(_STARTED, None)
    if started is None:
        started = request.config.stash[_STARTED] = _start_suite_run()
    try:
        code = started.process.wait(timeout=600)
    except subprocess.TimeoutExpired:
        started.process.kill()
        raise
    stdout = (started.folder / "stdout.txt").read_text()
    assert code == 0, stdout[-3000:] + (started.folder / "stderr.txt").read_text()[-3000:]
    (saved,) = (started.folder / "storage").glob("*/0001_tiny.json")
    return SuiteRun(saved, stdout)


@pytest.fixture(scope="session")
def saved_suite(suite_run) -> Path:
    """The tiny suite run's saved file (read-only use)."""
    return suite_run.saved


@pytest.fixture
def storage(saved_suite, tmp_path) -> Path:
    """A private copy of the saved run in pytest-benchmark's layout, for tests that add files next to it."""
    folder = tmp_path / ".benchmarks" / saved_suite.parent.name
    folder.mkdir(parents=True)
    shutil.copy(saved_suite, folder / saved_suite.name)
    return tmp_path / ".benchmarks"
