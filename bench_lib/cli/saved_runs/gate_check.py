"""`tfbench gate-check BASE NEW`: which slowdown the regression gate sees on two runs of this machine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench_lib.analysis import gate_check
from bench_lib.cli.saved_runs import Printer
from bench_lib.cli.saved_runs.loading import load_warnings, one_run, warn_stderr
from bench_lib.cli.saved_runs.writing import safe_name
from bench_lib.record import history
from bench_lib.record.files import write_atomic
from bench_lib.render.gate_check_table import gate_check_markdown


def parse_factors(text: str) -> tuple[float, ...]:
    """'1.1,1.2' -> (1.1, 1.2).

    Raises:
      ValueError: a factor that is not a number > 1, naming it.
    """
    factors = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            factor = float(part)
        except ValueError:
            factor = float("nan")
        if not factor > 1 or factor == float("inf"):
            raise ValueError(f"--factors={text!r} is not allowed: {part!r} is not a number > 1 (a slowdown)")
        factors.append(factor)
    if not factors:
        raise ValueError(f"--factors={text!r} is not allowed: name at least one factor > 1, e.g. 1.1,1.2")
    return tuple(factors)


def parse_processes(text: str) -> tuple[int | None, ...]:
    """'' -> (None,): the processes the runs saved; '1,3' -> (1, 3).

    Raises:
      ValueError: a count that is not a whole number >= 1, naming it.
    """
    counts = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if not part.isdigit() or int(part) < 1:
            raise ValueError(f"--processes={text!r} is not allowed: {part!r} is not a whole number >= 1")
        counts.append(int(part))
    return tuple(counts) or (None,)


def gate_check_command(
    base_selector: str, new_selector: str, *, factors: Sequence[float], thresholds: dict[str, float],
    storage: Path, reports: Path, processes: Sequence[int | None] = (None,), say: Printer = print,
) -> int:  # fmt: skip
    """Prints and writes the table; 0, or 2 when a run cannot be used."""
    try:
        base = one_run(base_selector, "BASE", storage)
        new = one_run(new_selector, "NEW", storage)
        runs = gate_check.Pair(history.read_data(base.path), base.path, history.read_data(new.path), new.path)
    except history.HistoryError as error:
        warn_stderr(str(error))
        return 2
    load_warnings([base, new])
    checks = gate_check.check(runs, factors, thresholds, processes)
    text = gate_check_markdown(base.name, new.name, checks, thresholds)
    path = reports / f"gate-check-{safe_name(base.name)}-vs-{safe_name(new.name)}.md"
    write_atomic(path, text, overwrite=True)
    say(text)
    say(f"wrote {path}")
    return 0
