"""The suite's only access to what pytest and pytest-benchmark do not publish, in one place.

Everything else in the suite stands on public surfaces: pytest's hooks, config.stash,
config.option and the terminal reporter's write methods; pytest-benchmark's fixture
(`benchmark.pedantic`, `extra_info`, `group`) and hooks. Three things have no public form:

- a finished benchmark's entry as pytest-benchmark saves it (the fixture's `stats` object),
- pytest-benchmark's statistics of a list of times (its Stats class), so that the times the
  suite saves per optimizer step carry the same fields as every other round's,
- the line pytest's terminal writer is on, which the progress line must restore after erasing
  itself below it.

It also holds the two pytest-benchmark helpers the saved file must agree with (the machine
folder's name and the JSON writer), so that every tie to pytest-benchmark's insides sits here.
CHECKED_AGAINST names the versions these were read in; tests/test_pytest_adapter.py fails
loudly when an installed version no longer offers them.
"""

from __future__ import annotations

CHECKED_AGAINST = {"pytest": "9.2.0", "pytest-benchmark": "5.3.1"}


def benchmark_entry(benchmark: object) -> dict | None:
    """The entry pytest-benchmark would save for a benchmark fixture, every round's time included;
    None when it timed nothing (disabled, skipped, or stopped before its rounds)."""
    metadata = getattr(benchmark, "stats", None)
    if not metadata:
        return None
    return metadata.as_dict(include_data=True)


def stats_of(seconds: list[float], *, iterations: int = 1) -> dict:
    """pytest-benchmark's statistics of these round times (min, max, mean, median, iqr, ops, ...) with the data."""
    from pytest_benchmark.stats import Stats

    stats = Stats()
    for value in seconds:
        stats.update(value)
    return {**stats.as_dict(), "data": list(seconds), "iterations": iterations}


def machine_id() -> str:
    """The folder name pytest-benchmark files a machine's runs under, e.g. Linux-CPython-3.11-64bit."""
    from pytest_benchmark.utils import get_machine_id

    return get_machine_id()


def dumps(value: object, *, indent: int | None = None) -> str:
    """JSON text as pytest-benchmark writes its files (anything not JSON as its text, ASCII only)."""
    from pytest_benchmark.utils import safe_dumps

    return safe_dumps(value, ensure_ascii=True, indent=indent)


def written_line(terminal: object) -> str:
    """What pytest's terminal writer has written on its current line (its file name and result letters)."""
    return terminal._tw._current_line


def restore_written_line(terminal: object, line: str) -> None:
    """Tells pytest's terminal writer it is back at the end of `line` (after the cursor was moved there)."""
    terminal._tw._current_line = line


def terminal_width(terminal: object) -> int:
    """The terminal's width in columns, as pytest's writer measures it."""
    return terminal._tw.fullwidth


def written_width(terminal: object) -> int:
    """How many columns the current line takes (0 right after a newline)."""
    return terminal._tw.width_of_current_line
