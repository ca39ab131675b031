"""Renders the `ab` command's paired verdicts as Markdown; computes nothing itself."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from bench_lib.analysis import paired
from bench_lib.analysis.computation import ComputationChange
from bench_lib.config.wording import count
from bench_lib.render.computation_lines import computation_lines
from bench_lib.render.tables import Table, to_markdown

MARKS = {paired.WORSE: "**worse**", paired.BETTER: "better", paired.SAME: "same", paired.UNKNOWN: "unknown"}


def ab_markdown(
    name: str, sides: Sequence[str], command: Sequence[str], pairs: int, threshold: float,
    verdicts: Sequence[paired.PairedVerdict], computation_changed: Sequence[ComputationChange] = (),
) -> str:  # fmt: skip
    """The report: both sides, the rule, the computations that differ, the verdict counts and a row per
    benchmark, worst first."""
    counts = {v: sum(x.verdict == v for x in verdicts) for v in MARKS}
    blind = paired.insensitive(verdicts, threshold)
    lines = [
        f"# tfbench ab: {name}",
        "",
        f"- base: {sides[0]}",
        f"- new: {sides[1]}",
        f"- command: `{shlex.join(command)}`, {pairs} pairs of processes, base first in odd pairs, new first in even",
        f"- rule: worse or better when a paired t-test on the log ratios of the step times gives "
        f"p < {paired.ALPHA:g} and the change exceeds {threshold:g}%",
        "",
        *computation_lines(computation_changed),
        f"**{counts[paired.WORSE]} worse**, {counts[paired.BETTER]} better, {counts[paired.SAME]} same, "
        f"{counts[paired.UNKNOWN]} unknown over {count(len(verdicts), 'benchmark')}; "
        f"{len(blind)} could not have detected "
        f"a {threshold:g}% change (α={paired.ALPHA:g}, power {paired.POWER:.0%}).",
        "",
    ]
    rows = [
        (v.key, "-" if v.change is None else f"{v.change:+.1f}%", MARKS[v.verdict],
         detectable_cell(v.detectable), v.method)
        for v in verdicts
    ]  # fmt: skip
    header = ("benchmark", "step time change", "verdict", "detectable", "decided by")
    lines.append(to_markdown(Table("", header, rows)))
    return "\n".join(lines) + "\n"


def detectable_cell(percent: float | None) -> str:
    """The minimum detectable effect; beyond 1000% (two or three noisy pairs) its digits say nothing more."""
    if percent is None:
        return "-"
    return f"{percent:.1f}%" if percent < 1000 else "> 1000%"
