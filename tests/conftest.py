"""Fixtures shared by the report tests: one real suite run on a tiny grid, saved as pytest-benchmark does."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Three questions, two strategies, two points per question: every report feature has something to show.
TINY_GRID = (
    "(batch_size and not fixed_steps and not max_batch) or (accumulation and mlp and (acc1 or acc4))"
    " or (throughput and one_device and mlp and (bs64 or bs256))"
)


@pytest.fixture(scope="session")
def saved_suite(tmp_path_factory) -> Path:
    """Runs benchmarks/ once on a tiny grid with --benchmark-save-data; returns the saved file (read-only use)."""
    storage = tmp_path_factory.mktemp("suite-storage")
    command = [
        sys.executable, "-m", "pytest", "benchmarks/", "-q", "-p", "no:cacheprovider", "-k", TINY_GRID,
        "--bench-epochs", "2", "--bench-batch-sizes", "128,256", f"--benchmark-storage=file://{storage}",
        "--benchmark-save=tiny", "--benchmark-save-data",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (saved,) = storage.glob("*/0001_tiny.json")
    return saved


@pytest.fixture
def storage(saved_suite, tmp_path) -> Path:
    """A private copy of the saved run in pytest-benchmark's layout, for tests that add files next to it."""
    folder = tmp_path / ".benchmarks" / saved_suite.parent.name
    folder.mkdir(parents=True)
    shutil.copy(saved_suite, folder / saved_suite.name)
    return tmp_path / ".benchmarks"
