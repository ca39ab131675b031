"""Renders the compare and trend reports as Markdown from verdicts already decided; computes nothing itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bench_lib.analysis import timing_noise
from bench_lib.analysis.computation import ComputationChange
from bench_lib.record.metrics import Metric
from bench_lib.render.computation_lines import computation_lines
from bench_lib.render.tables import Table, to_markdown

VERDICT_MARKS = {"worse": "**worse**", "better": "better", "same": "same", "unknown": "unknown"}


def metric_cell(metric: Metric, value: object) -> str:
    if isinstance(value, str) or value is None:
        return "-" if value is None else value
    return format(value, metric.fmt)


def change_cell(metric: Metric, change: float | None) -> str:
    if change is None:
        return "-"
    return f"{change:+.2f} pt" if metric.compare == "accuracy" else f"{change:+.1f}%"


def run_title(run: object) -> str:
    """e.g. '0002_quick (2026-11-24 19:39, commit 9695a4034129)'."""
    commit = str(run.commit.get("id") or "")[:12] or "unknown"
    return f"`{run.name}` ({run.datetime[:16].replace('T', ' ')}, commit {commit}, {run.path})"


def thresholds_line(thresholds: Mapping[str, float]) -> str:
    return (
        f"time {thresholds['time']:g}%, throughput {thresholds['throughput']:g}%, "
        f"accuracy {thresholds['accuracy']:g} pt, memory {thresholds['memory']:g}%"
    )


def mismatch_lines(differences: list[str]) -> list[str]:
    if not differences:
        return []
    return [
        "> **WARNING: the two runs differ in hardware or software** — differences below may come from that:",
        *[f"> - {line}" for line in differences],
        "",
    ]


def load_lines(warnings: list[str]) -> list[str]:
    return [*(f"> **WARNING: {line}** — its timings may be slow." for line in warnings), ""] if warnings else []


def compare_markdown(
    base, new, comparison, differences: list[str], thresholds: Mapping[str, float], load: list[str] = ()
) -> str:
    """The compare report: runs, mismatch and load warnings, verdict counts, a table worst first, unmatched ids."""
    counts = {v: sum(r.verdict.verdict == v for r in comparison.rows) for v in VERDICT_MARKS}
    lines = [
        f"# tfbench compare: {base.name} vs {new.name}",
        "",
        f"- base: {run_title(base)}",
        f"- new: {run_title(new)}",
        f"- thresholds: {thresholds_line(thresholds)}",
        "",
        *mismatch_lines(differences),
        *load_lines(list(load)),
        *computation_lines(comparison.computation_changed),
        f"**{counts['worse']} worse**, {counts['better']} better, {counts['same']} same, {counts['unknown']} unknown "
        f"over {len({r.key for r in comparison.rows})} benchmarks in both runs.",
        "",
    ]
    rows = [
        (row.key, row.metric.label, metric_cell(row.metric, row.verdict.base),
         metric_cell(row.metric, row.verdict.new), change_cell(row.metric, row.verdict.change),
         VERDICT_MARKS[row.verdict.verdict], row.verdict.method)
        for row in comparison.rows
    ]  # fmt: skip
    header = ("benchmark", "metric", "base", "new", "change", "verdict", "decided by")
    lines.append(to_markdown(Table("", header, rows)))
    for label, keys in (("only in base", comparison.only_base), ("only in new", comparison.only_new)):
        if keys:
            lines += ["", f"{label} ({len(keys)}): " + ", ".join(f"`{k}`" for k in keys)]
    return "\n".join(lines) + "\n"


def trend_markdown(
    runs, series, plots: Mapping[str, str], k: float, window: int, skipped_runs: int, load: list[str] = (),
    computation_changed: Sequence[ComputationChange] = (),
) -> str:  # fmt: skip
    """The trend report: the runs in time order, then each benchmark metric's verdict, worst first."""
    lines = [
        f"# tfbench trend: {len(runs)} runs of one machine",
        "",
        f"Rule: the newest run is worse when its value lies outside the median ± {k:g}·1.4826·MAD of the "
        f"previous {window} runs and differs from that median by more than the metric's threshold "
        f"(time and throughput, while fewer than {timing_noise.MIN_NOISE_HISTORY} earlier runs give their "
        f"spread, also by more than the default noise factor ×{timing_noise.DEFAULT_NOISE_FACTOR:g}).",
        "",
    ]
    if skipped_runs:
        lines += [f"{skipped_runs} saved runs of other machines or profiles were left out.", ""]
    lines += load_lines(list(load))
    lines += computation_lines(computation_changed)
    run_rows = [
        (r.name, r.datetime[:19].replace("T", " "), str(r.commit.get("id") or "")[:12] or "-",
         str(r.machine.get("tensorflow", "-")), str(r.machine.get("keras", "-")))
        for r in runs
    ]  # fmt: skip
    lines += [to_markdown(Table("Runs, oldest first", ("run", "saved", "commit", "TensorFlow", "Keras"), run_rows))]
    rows = [
        (s.key, s.metric.label, metric_cell(s.metric, s.verdict.new), metric_cell(s.metric, s.verdict.base),
         change_cell(s.metric, s.verdict.change), VERDICT_MARKS[s.verdict.verdict], s.verdict.method)
        for s in series
    ]  # fmt: skip
    header = ("benchmark", "metric", "newest", "history median", "change", "verdict", "decided by")
    lines += ["", to_markdown(Table("Newest run against its history", header, rows)), "", "## Plots", ""]
    lines += [f"![{key}]({name})" for key, name in plots.items()]
    return "\n".join(lines) + "\n"
