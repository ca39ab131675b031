"""bench_lib/suite/pytest_adapter.py: what it reads from pytest and pytest-benchmark is still there.

These fail loudly when an upgrade moves one of the private things the adapter reads; the
adapter's CHECKED_AGAINST then needs checking again, and the versions test says so.
"""

from importlib.metadata import version

import pytest

from bench_lib.suite import pytest_adapter


def test_the_installed_versions_are_those_the_adapter_was_checked_against():
    installed = {name: version(name) for name in pytest_adapter.CHECKED_AGAINST}
    assert installed == pytest_adapter.CHECKED_AGAINST, (
        "pytest or pytest-benchmark changed: check bench_lib/suite/pytest_adapter.py against the new version "
        "(this file's tests), then update CHECKED_AGAINST"
    )


def test_a_benchmarks_entry_and_the_suites_own_statistics_have_pytest_benchmarks_fields(benchmark):
    benchmark.extra_info["id"] = "x"
    benchmark.pedantic(lambda: None, rounds=4, warmup_rounds=0)
    entry = pytest_adapter.benchmark_entry(benchmark)
    assert {"group", "name", "fullname", "params", "extra_info", "options", "stats"} <= set(entry)
    assert entry["extra_info"] == {"id": "x"} and entry["stats"]["rounds"] == len(entry["stats"]["data"]) == 4
    ours = pytest_adapter.stats_of([0.003, 0.001, 0.002, 0.004])
    assert set(ours) == set(entry["stats"])
    assert (ours["min"], ours["median"], ours["max"], ours["rounds"]) == (0.001, 0.0025, 0.004, 4)
    assert ours["data"] == [0.003, 0.001, 0.002, 0.004] and ours["iterations"] == 1


@pytest.mark.filterwarnings("ignore:Benchmark fixture was not used")
def test_an_unused_benchmark_fixture_has_no_entry(benchmark):
    assert pytest_adapter.benchmark_entry(benchmark) is None


def test_the_line_the_terminal_writer_is_on_can_be_read_and_put_back(pytestconfig):
    terminal = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    line = pytest_adapter.written_line(terminal)
    assert isinstance(line, str)
    pytest_adapter.restore_written_line(terminal, line)
    assert pytest_adapter.written_line(terminal) == line
    assert pytest_adapter.written_width(terminal) == len(line.encode("ascii", "replace"))
    assert pytest_adapter.terminal_width(terminal) > 0


def test_the_machine_folder_and_json_text_are_pytest_benchmarks():
    from pytest_benchmark.utils import get_machine_id

    assert pytest_adapter.machine_id() == get_machine_id()
    assert pytest_adapter.dumps({"a": float("nan"), "b": "é"}) == '{"a": NaN, "b": "\\u00e9"}'
