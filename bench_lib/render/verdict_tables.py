"""Renders the compare and trend reports as Markdown from verdicts already decided; computes nothing itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bench_lib.analysis import timing_noise
from bench_lib.analysis.computation import ComputationChange
from bench_lib.analysis.verdict import INSENSITIVE_EXIT, MEMORY_FLOOR_MIB, threshold_factor
from bench_lib.config.wording import count
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
    """The run's name, when it was saved and its commit: '<NNNN_name> (<date> <time>, commit <12 hex digits>)'."""
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


def verdict_cell(verdict) -> str:
    return verdict.gate if verdict.verdict == "changed" else VERDICT_MARKS[verdict.verdict]


def sensitivity_cell(row, thresholds: Mapping[str, float]) -> str:
    """The smallest slowdown a timing comparison could have seen, 'insensitive' when above the threshold."""
    detectable = row.verdict.detectable
    if detectable is None or row.verdict.verdict == "worse":
        return "-"
    factor = threshold_factor(row.metric.compare, thresholds[row.metric.compare])
    return f"×{detectable:.2f}" + (" **insensitive**" if row.verdict.insensitive(factor) else "")


def verdict_rows(rows, thresholds: Mapping[str, float]) -> list[tuple[str, ...]]:
    return [
        (row.key, row.metric.label, metric_cell(row.metric, row.verdict.base), metric_cell(row.metric, row.verdict.new),
         change_cell(row.metric, row.verdict.change), verdict_cell(row.verdict), sensitivity_cell(row, thresholds),
         row.verdict.method)
        for row in rows
    ]  # fmt: skip


def run_level_lines(rows, thresholds: Mapping[str, float]) -> list[str]:
    """The run-level table: the median change over every timed configuration, with its confidence interval."""
    if not rows:
        return []
    body = [
        (row.metric.label, change_cell(row.metric, row.verdict.change), verdict_cell(row.verdict),
         sensitivity_cell(row, thresholds), row.verdict.method)
        for row in rows
    ]  # fmt: skip
    header = ("metric", "median change", "verdict", f"could see (α={timing_noise.RUN_ALPHA:g}, power "
              f"{timing_noise.POWER:.0%})", "decided by")  # fmt: skip
    return [to_markdown(Table("Run level: every timed configuration together", header, body)), ""]


def insensitive_line(insensitive: list[str], timed: int, thresholds: Mapping[str, float], command: str) -> str:
    return (
        f"{len(insensitive)} of {count(timed, 'timed benchmark')} could not have seen a change of the threshold's size "
        f"(time {thresholds['time']:g}%, throughput {thresholds['throughput']:g}%) at its α and power "
        f"{timing_noise.POWER:.0%}: the between-process noise "
        "decides there, not the threshold. `--bench-processes N` in the suite narrows the noise; "
        f"`{command} --fail-insensitive` makes this fail with exit status {INSENSITIVE_EXIT}."
    )


COLUMNS = ("benchmark", "metric", "base", "new", "change", "verdict", "could see", "decided by")


def compare_markdown(
    base, new, comparison, differences: list[str], thresholds: Mapping[str, float], load: list[str] = ()
) -> str:
    """The compare report: runs, warnings, verdict counts and sensitivity, the run level, a table worst first."""
    counts = {v: sum(r.verdict.verdict == v for r in comparison.rows) for v in (*VERDICT_MARKS, "changed")}
    timed = len({r.key for r in comparison.rows if r.verdict.detectable is not None})
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
        f"**{counts['worse']} worse**, {counts['better']} better, {counts['same']} same, {counts['unknown']} unknown, "
        f"{counts['changed']} configuration changed over {count(len({r.key for r in comparison.rows}), 'benchmark')} "
        "in both runs. " + insensitive_line(comparison.insensitive(thresholds), timed, thresholds, "compare"),
        "",
        *run_level_lines(comparison.run_level, thresholds),
        to_markdown(Table("", COLUMNS, verdict_rows(comparison.rows, thresholds))),
    ]
    for label, keys in (("only in base", comparison.only_base), ("only in new", comparison.only_new)):
        if keys:
            lines += ["", f"{label} ({len(keys)}): " + ", ".join(f"`{k}`" for k in keys)]
    return "\n".join(lines) + "\n"


def trend_markdown(
    runs, result, plots: Mapping[str, str], k: float, window: int, left_out: list[str],
    thresholds: Mapping[str, float], load: list[str] = (), order: str = "saved",
    computation_changed: Sequence[ComputationChange] = (), pages: Mapping[str, str] | None = None,
) -> str:  # fmt: skip
    """The trend report: the runs in order, the run level, each benchmark metric's verdict worst first, steps;
    each plot links to its benchmark's HTML page (`pages`, by key) when there is one."""
    timed = len({s.key for s in result.series if s.verdict.detectable is not None})
    lines = [
        f"# tfbench trend: {count(len(runs), 'run')} of one machine",
        "",
        f"Rule: compare's rules against the previous {count(window, 'run')} (ordered by {order}): timing against its "
        "history's between-run spread moderated towards every configuration's; accuracy and memory outside the "
        f"median ± {k:g}·1.4826·MAD and beyond the threshold (memory also by {MEMORY_FLOOR_MIB:g} MiB); a "
        "configuration that newly stops being ok or goes missing is worse.",
        "",
        insensitive_line(result.insensitive(thresholds), timed, thresholds, "trend"),
        "",
    ]
    if left_out:
        lines += [f"Left out ({len(left_out)}):", *[f"- {line}" for line in left_out], ""]
    lines += load_lines(list(load))
    lines += computation_lines(computation_changed)
    run_rows = [
        (r.name, r.datetime[:19].replace("T", " "), str(r.commit.get("id") or "")[:12] or "-",
         str(r.commit.get("time") or "-")[:19], str(r.machine.get("tensorflow", "-")),
         str(r.machine.get("keras", "-")))
        for r in runs
    ]  # fmt: skip
    header = ("run", "saved", "commit", "commit time", "TensorFlow", "Keras")
    lines += [to_markdown(Table(f"Runs, by {order}", header, run_rows)), ""]
    lines += run_level_lines(result.run_level, thresholds)
    rows = [
        (s.key, s.metric.label, metric_cell(s.metric, s.verdict.new), metric_cell(s.metric, s.verdict.base),
         change_cell(s.metric, s.verdict.change), verdict_cell(s.verdict), sensitivity_cell(s, thresholds),
         s.verdict.method)
        for s in result.series
    ]  # fmt: skip
    header = ("benchmark", "metric", "newest", "history", "change", "verdict", "could see", "decided by")
    lines += [to_markdown(Table("Newest run against its history", header, rows))]
    steps = [(s.key, s.metric.label, s.step.describe(s.metric)) for s in result.series if s.step is not None]
    if steps:
        lines += ["", to_markdown(Table("Steps anywhere in the history", ("benchmark", "metric", "step"), steps))]
    lines += ["", "## Plots", ""]
    if pages:
        lines += ["Each benchmark's page, its history with its noise band: [index.html](index.html).", ""]
    lines += [f"![{key}]({name})" + (f" [{key}: page]({pages[key]})" if key in (pages or {}) else "")
              for key, name in plots.items()]  # fmt: skip
    return "\n".join(lines) + "\n"
