"""Fixtures shared by the suite and report tests: one real suite run on a tiny grid, saved as pytest-benchmark does."""

import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.fixture(scope="session")
def suite_run(tmp_path_factory) -> SuiteRun:
    """Runs benchmarks/ once, in a fresh pytest process, on the tiny grid with --benchmark-save-data."""
    storage = tmp_path_factory.mktemp("suite-storage")
    command = [
        sys.executable, "-m", "pytest", "benchmarks/", "-q", "-rs", "-p", "no:cacheprovider", "-k", TINY_GRID,
        *TINY_OPTIONS, f"--benchmark-storage=file://{storage}", "--benchmark-save=tiny", "--benchmark-save-data",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (saved,) = storage.glob("*/0001_tiny.json")
    return SuiteRun(saved, done.stdout)


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
