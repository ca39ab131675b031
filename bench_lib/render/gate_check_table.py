"""The gate check's table: BASE against NEW as measured and against NEW made slower by each factor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bench_lib.analysis.gate_check import Check
from bench_lib.render.tables import Table, to_markdown

HEADER = (
    "NEW's step times",
    "timed benchmarks",
    "called worse",
    "called better",
    "could not see the threshold",
    "run level",
    "compare's exit",
    "by question: worse / timed, could see",
)


def _by_question(c: Check) -> str:
    """'models 3/3 ×1.04; throughput 18/18 ×1.03–×1.07': each question's share and the range of what its rows
    could have called worse."""
    parts = []
    for q in c.by_question:
        seen = ""
        if q.could_see is not None:
            low, high = (f"×{f:.2f}" for f in q.could_see)
            seen = f" {low}" if high == low else f" {low}–{high}"
        parts.append(f"{q.question} {q.worse}/{q.timed}{seen}")
    return "; ".join(parts) or "-"


def _timings(factor: float) -> str:
    return "as measured" if factor == 1.0 else f"×{factor:g}"


PROCESSES = "processes per run"


def header(checks: Sequence[Check]) -> tuple[str, ...]:
    """HEADER, led by a processes column where the checks cut the runs to their first processes."""
    return (PROCESSES, *HEADER) if _by_processes(checks) else HEADER


def _by_processes(checks: Sequence[Check]) -> bool:
    return any(c.processes is not None for c in checks)


def _processes(c: Check) -> tuple[str, ...]:
    return ("as saved" if c.processes is None else f"first {c.processes}",)


def rows(checks: Sequence[Check]) -> list[tuple[str, ...]]:
    lead = _processes if _by_processes(checks) else lambda c: ()
    return [
        (
            *lead(c),
            _timings(c.factor),
            str(c.timed),
            f"{c.worse} ({c.worse_share:.0%})",
            str(c.better),
            str(c.insensitive),
            c.run_level,
            "1" if c.any_worse else "0",
            _by_question(c),
        )
        for c in checks
    ]


def gate_check_markdown(base: str, new: str, checks: Sequence[Check], thresholds: Mapping[str, float]) -> str:
    """The title line, the rule, and the table."""
    lines = [
        f"# tfbench gate-check: {base} against {new}",
        "",
        f"compare's rules at the thresholds time {thresholds['time']:g}%, throughput {thresholds['throughput']:g}%; "
        "each row after the first compares BASE with a copy of NEW whose timings are all multiplied by the factor "
        "(a uniform slowdown). Two runs of unchanged code should give 0 worse and 0 better as measured, and a "
        "slowdown of the threshold's size should be called worse on nearly every timed benchmark."
        + (
            ' "first k": both runs judged on the medians of each configuration\'s first k processes only, '
            "as a run of --bench-processes k would have saved them."
            if _by_processes(checks)
            else ""
        ),
        "",
        to_markdown(Table("", header(checks), rows(checks))),
    ]
    return "\n".join(lines) + "\n"
