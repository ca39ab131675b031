"""Renders the benchmarks whose computation changed as Markdown lines, for compare and trend; computes nothing."""

from __future__ import annotations

from collections.abc import Sequence

from bench_lib.analysis.computation import ComputationChange
from bench_lib.config.wording import count


def computation_lines(changes: Sequence[ComputationChange]) -> list[str]:
    """A section naming every benchmark whose traced step computes something else, and what; [] for none."""
    if not changes:
        return []
    benchmarks = len({change.key for change in changes})
    return [
        f"## Computation changed: {count(benchmarks, 'benchmark')}",
        "",
        "Exact counts of the traced training step differ (no timing involved): these benchmarks measure another "
        "computation, so their timings compare different work.",
        "",
        *(f"- {change.line()}" for change in changes),
        "",
    ]
