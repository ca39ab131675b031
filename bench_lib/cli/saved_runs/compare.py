"""`tfbench compare BASE NEW`: every benchmark judged, the machines' summary when the hardware differs."""

from __future__ import annotations

import sys
from pathlib import Path

from bench_lib import questions
from bench_lib import reference as reference_points
from bench_lib.analysis import convergence_points, machines, verdict
from bench_lib.cli.saved_runs import Printer, exit_status
from bench_lib.cli.saved_runs.loading import load_warnings, one_run, warn_stderr
from bench_lib.cli.saved_runs.writing import safe_name
from bench_lib.record import fingerprint, history
from bench_lib.record.files import write_atomic
from bench_lib.record.history import SavedRun
from bench_lib.render import machine_tables
from bench_lib.render import verdict_tables as verdict_report


def _reference_section(run: SavedRun) -> str:
    """The NEW run's steps to target against the stored reference convergence points, or nothing."""
    results = [{**b.result, "question": b.question} for b in run.benchmarks]
    deviations = convergence_points.check(results, reference_points.points())
    if not deviations:
        return ""
    lines = [f"- {d.line()}" for d in sorted(deviations, key=lambda d: d.verdict == "as the reference")]
    return "\n## Reference convergence points (NEW)\n\n" + "\n".join(lines) + "\n"


def compare_command(
    base_selector: str, new_selector: str, *, thresholds: dict[str, float], storage: Path, reports: Path,
    fail_insensitive: bool = False, say: Printer = print,
) -> int:  # fmt: skip
    try:
        base = one_run(base_selector, "BASE", storage)
        new = one_run(new_selector, "NEW", storage)
    except history.HistoryError as error:
        warn_stderr(str(error))
        return 2
    differences = fingerprint.differences(base.machine, new.machine)
    if differences:
        print("=" * 78, file=sys.stderr)
        print("WARNING: the two runs differ in hardware or software:", file=sys.stderr)
        for line in differences:
            print(f"  {line}", file=sys.stderr)
        print("=" * 78, file=sys.stderr)
    loaded = load_warnings([base, new])
    comparison = verdict.compare_runs(base, new, thresholds)
    text = verdict_report.compare_markdown(base, new, comparison, differences, thresholds, loaded)
    if fingerprint.hardware_differs(base.machine, new.machine):  # the purchase question before the rows
        text = _machines_section(base, new) + "\n" + text
    text += _reference_section(new)
    path = reports / f"compare-{safe_name(base.name)}-vs-{safe_name(new.name)}.md"
    write_atomic(path, text, overwrite=True)
    say(text)
    say(f"wrote {path}")
    return exit_status(comparison.any_worse, fail_insensitive and bool(comparison.insensitive(thresholds)))


def _machines_section(base: SavedRun, new: SavedRun) -> str:
    """NEW over BASE per family and precision on the questions that time steps, and both runs' findings."""
    timed = [q.name for q in questions.all_questions() if q.metric == "examples_per_sec"]
    summary = machines.summarize(base.benchmarks, new.benchmarks, questions=timed)
    pairs = machines.findings_side_by_side(
        base.benchmarks, new.benchmarks, rules=questions.glance_rules(), judged=questions.judged_family
    )
    speedups = [(run.name, machines.precision_speedups(run.benchmarks, questions=timed)) for run in (base, new)]
    return machine_tables.summary_markdown(base.name, new.name, summary, pairs, speedups)
