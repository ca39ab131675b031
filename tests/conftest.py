"""Fixtures shared by the suite and report tests: one real suite run on a tiny grid, saved as pytest-benchmark does.

Also the session's plumbing: the slow process fixtures start in the background after collection
(tests/background.py), and the process ends without the interpreter's teardown.
"""

import os
import shutil
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

import background

ROOT = Path(__file__).resolve().parents[1]
# Every process the tests start (suites, launched workers, the CLI) and this one judge MFU against a
# declared peak instead of calibrating one (2 s each): tests/test_speed.py tests the calibration.
os.environ.setdefault("TFBENCH_PEAK_GFLOPS", "150")
# Three questions; one_device at two batch sizes and mirrored on 3 replicas at one, so every report
# feature has something to show (learning curves need 2 epochs). 128 / 3 replicas and 2048 > 1438
# digits examples are impossible grid points, skipped with their reasons. The throughput knobs are
# left out: the report shows them like any other row, and tests/test_suite.py runs one of them.
TINY_GRID = (
    "(test_batch_size and not fixed_steps and not equal_convergence) or (test_accumulation and mlp and (acc1 or acc4))"
    " or (test_throughput and one_device and mlp and (bs64 or bs256) and not (spe8 or xla or cache or pf0 or sgd))"
)
TINY_OPTIONS = (
    "--bench-replicas",
    "3",
    "--bench-batch-sizes",
    "96,128,2048",
    "--bench-epochs",
    "2",
    "--bench-seeds",
    "2",
)


_EXIT_STATUS = pytest.StashKey[int]()


class SuiteRun(NamedTuple):
    saved: Path  # pytest-benchmark's saved file, 0001_tiny.json (read-only use)
    stdout: str
    stderr: str


@background.job("suite_run")
def _tiny_suite_run(folder: Path) -> SuiteRun:
    """benchmarks/ in a fresh pytest process on the tiny grid with --benchmark-save-data."""
    storage = folder / "storage"
    command = [
        sys.executable, "-m", "pytest", "benchmarks/", "-q", "-rs", "-p", "no:cacheprovider", "-k", TINY_GRID,
        *TINY_OPTIONS, f"--benchmark-storage=file://{storage}", "--benchmark-save=tiny", "--benchmark-save-data",
    ]  # fmt: skip
    done = background.run(command, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (saved,) = storage.glob("*/0001_tiny.json")
    return SuiteRun(saved, done.stdout, done.stderr)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    background.waiting_last(items)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Starts the slow subprocess fixtures the collected tests use (tests/background.py)."""
    background.start_session(session)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    background.end_session()
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Ends the process once pytest is done, without the interpreter's teardown.

    That teardown destroys what the in-process tests left to TensorFlow one object at a time,
    tf.data iterators among them, each waiting for its autotuning thread: 7 to 37 s after the
    last line of the summary (measured with `py-spy dump` and exit stamps)
    — as much as a fifth of the run.
    """
    status = config.stash.get(_EXIT_STATUS, None)
    if status is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


@pytest.fixture(scope="session")
def suite_run() -> SuiteRun:
    """The tiny suite run, waited for (it was started after collection)."""
    return background.wait("suite_run")


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
