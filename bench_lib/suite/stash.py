"""What the suite plugin's modules share through pytest's config.stash, each written in one place."""

from __future__ import annotations

import pytest

from bench_lib.config.cluster import Cluster
from bench_lib.probes.load import LoadSnapshot
from bench_lib.suite.profiles import Profile

PROFILE = pytest.StashKey[Profile]()  # startup.pytest_configure
CLUSTER = pytest.StashKey[Cluster | None]()  # startup.pytest_configure
RESULTS = pytest.StashKey[list]()  # record.recorder: every configuration's result dict
INTERRUPTED = pytest.StashKey[bool]()  # journal.pytest_sessionfinish
LINES = pytest.StashKey[list]()  # summary.summary_lines: lines benchmarks add to the summary
LOAD_AT_START = pytest.StashKey[LoadSnapshot]()  # startup.pytest_configure: how busy the machine was
JOURNAL = pytest.StashKey["Journal"]()  # journal.check_before_work: the journal of a saved run (suite.journal)
FINISHED = pytest.StashKey[list]()  # journal.write: the journal entries of this session's configurations
CALL_OUTCOME = pytest.StashKey[tuple]()  # an item's, journal.pytest_runtest_makereport: (outcome, benchmark dict)
SAVING = pytest.StashKey["Saving"]()  # saving.take_over: where the run is saved
SAVED = pytest.StashKey[list]()  # journal.pytest_sessionfinish: the files saving.save wrote
STEP_TIMES_S = pytest.StashKey[list]()  # an item's, measuring.measure_run: its rounds' seconds per optimizer step
NOT_SAVED = pytest.StashKey[bool]()  # an item's, measuring.measure_run: it did not end 'ok', so no benchmark entry
PROGRESS = pytest.StashKey["Progress"]()  # progress.pytest_collection_finish
