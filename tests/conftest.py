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
    " or (test_throughput and one_device and mlp and (bs64 or bs512)"
    " and not (spe8 or xla or sgd or h512x512))"
)
TINY_OPTIONS = (
    "--bench-strategies",  # every question on both, as the full profile runs them
    "one_device,mirrored",
    "--bench-replicas",
    "3",
    "--bench-batch-sizes",
    "96,128,2048",
    "--bench-epochs",
    "2",
    "--bench-seeds",
    "2",
    "--bench-seeds-until-decided",  # two seeds a configuration, as saved; adding seeds has its own test
    "0",
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


# The slow tier (`make test-slow`; CI runs both): what starts further TensorFlow processes (each
# pays a 2-5 s import) or trains real model families, 2-30 s a test on 2 cores. `make test` leaves
# it out to stay under 3 minutes; the tiny suite run (suite_run) stays, beside the in-process tests.
SLOW_JOBS = {"two_workers", "two_namespaces", "two_worker_suite", "killed_sweep", "slurm_run", "night", "seeded_run"}
SLOW_MODULES = {
    "test_cli.py", "test_processes.py", "test_launch.py", "test_netns.py", "test_multi_worker.py",
    "test_schedulers.py", "test_workloads_run.py", "test_cluster_report.py",
}  # fmt: skip
SLOW_TESTS = {
    "test_allreduce.py::test_the_command_prints_the_table_and_saves_the_rows",
    "test_collective.py::test_nccl_on_a_machine_without_gpus_is_one_line_before_tensorflow",
    "test_commands.py::test_index_html_loads_in_headless_chromium_with_every_image_and_table",
    "test_questions.py::test_a_question_registered_at_test_time_reaches_the_report",
    "test_reliability.py::test_a_full_disk_is_one_line_and_leaves_the_earlier_report_whole",
    "test_reliability.py::test_a_suite_whose_storage_is_read_only_stops_with_one_line_before_tensorflow",
    "test_suite.py::test_a_bad_suite_option_is_one_line_before_anything_runs",
    "test_suite.py::test_a_missing_dataset_is_one_line_naming_the_suite_option_before_anything_trains",
    "test_reliability.py::test_a_crash_after_the_run_was_saved_leaves_no_journal_behind",
    "test_spec_properties.py::test_every_valid_spec_trains_one_step",
    "test_tfds_data.py::test_a_tiny_configuration_trains_on_each_kind_of_set",
    "test_workload_models.py::test_the_analytic_count_matches_tensorflows_cost_analysis_and_the_published_figure",
}


# tryfirst: the markers must be on the items before pytest deselects by -m.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = f"{item.path.name}::{getattr(item, 'originalname', item.name)}"
        jobs = SLOW_JOBS & set(getattr(item, "fixturenames", ()))
        if jobs or item.path.name in SLOW_MODULES or name in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
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
