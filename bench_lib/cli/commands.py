"""The report, compare and trend commands: read saved runs, decide, render, and write files atomically.

Each returns the process exit status: 0 fine, 1 something is worse (compare) or regressed
(trend), 2 a run the user named could not be used. A file that cannot be written raises OSError
and replaces nothing (the command line makes it one line and status 2). A run read from an
unfinished sweep's journal is marked incomplete. Nothing here ever writes under `.benchmarks/`.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bench_lib import questions
from bench_lib import reference as reference_points
from bench_lib.analysis import allreduce, findings, glance, reference, scaling, verdict
from bench_lib.cli.arguments import program
from bench_lib.record import fingerprint, history
from bench_lib.record.files import write_all_atomic, write_atomic
from bench_lib.record.history import SavedRun
from bench_lib.render import cluster_tables, export, page, plot_scaling, plots
from bench_lib.render import tables as report
from bench_lib.render import verdict_tables as verdict_report

Printer = Callable[[str], None]


def warn_stderr(line: str) -> None:
    print(f"{program()}: warning: {line}", file=sys.stderr)


MANIFEST = ".tfbench-files.json"
INCOMPLETE = "read from the journal of a sweep that never saved its run: its finished configurations only"


def _write_all(folder: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Writes (or replaces) each file atomically, then removes files an earlier report here made and this
    one no longer does — only those listed in the folder's manifest, never anything else."""
    manifest = folder / MANIFEST
    try:
        earlier = set(json.loads(manifest.read_text()))
    except (OSError, ValueError, TypeError):
        earlier = set()
    # All or nothing: a full disk or a read-only folder leaves the earlier report whole.
    write_all_atomic({**{folder / name: data for name, data in files.items()}, manifest: json.dumps(sorted(files))})
    written = [folder / name for name in files]
    for stale in sorted(earlier - set(files)):
        if "/" not in stale and stale != MANIFEST:
            (folder / stale).unlink(missing_ok=True)
    return written


def _questions(run: SavedRun) -> dict[str, list[dict]]:
    """Results by question: the registry's in its order, then any it does not know in order of appearance."""
    by_question: dict[str, list[dict]] = {}
    for bench in run.benchmarks:
        by_question.setdefault(bench.question, []).append(bench.result)
    known = [q.name for q in questions.all_questions() if q.name in by_question]
    return {q: by_question[q] for q in known + [q for q in by_question if q not in known]}


def report_files(run: SavedRun) -> dict[str, str | bytes]:
    """Every file of one run's report, by name: report.md, index.html, results.csv, PNGs, exports."""
    by_question = _questions(run)
    network = scaling.network(run.machine.get("tfbench_cluster"))
    results = [{**b.result, "question": b.question} for b in run.benchmarks]
    sections = [(q, report.question_tables(rs, q) + _scaling_tables(rs, network)) for q, rs in by_question.items()]
    if run.allreduce_sweeps:
        measured = ("allreduce", _allreduce_tables(run.allreduce_sweeps, results, network))
        sections = _in_report_order([*sections, measured])
    images: dict[str, list[tuple[str, bytes]]] = {}
    for question, asked in by_question.items():
        title = report.question_title(question)
        entry = questions.find(question)
        summary = (("-by-model", plots.model_figure),) if entry and entry.model_summary else ()
        for suffix, draw in (("", plots.question_figure), ("-curves", plots.curves_figure), *summary):
            png = draw(question, title, asked)
            if png is not None:
                images.setdefault(question, []).append((f"{question}{suffix}.png", png))
        png = plot_scaling.steps_to_target_png(asked)  # log-log: the perfect-scaling and plateau regimes
        if png is not None:
            images.setdefault(question, []).append((f"{question}-steps-to-target.png", png))
    facts = [
        ("run", f"{run.name} ({run.path})"),
        ("saved", run.datetime[:19].replace("T", " ") + " UTC"),
        *report.machine_rows(run.machine, run.commit, (b.result.get("replicas", 1) for b in run.benchmarks)),
        ("configurations", str(len(run.benchmarks))),
    ]
    if run.incomplete:
        facts.insert(1, ("incomplete", INCOMPLETE))
    if "tfbench_cluster" in run.machine:
        facts.append(("workers' network", network))
    facts += [("largest batch", report.batch_search_line(search)) for search in run.searches]
    if run.skipped:
        facts.append(("entries not read", "; ".join(run.skipped)))
    names = {q: [name for name, _ in pngs] for q, pngs in images.items()}
    files: dict[str, str | bytes] = {name: png for pngs in images.values() for name, png in pngs}
    sentences = findings.findings(results, rules=questions.findings_rules())
    sentences += reference.sentences(reference.check(results, reference_points.points()))
    leading = report.glance_table(row.as_row() for row in glance.glance(results))
    files["report.md"] = report.report_markdown(run.name, facts, sections, names, sentences, leading)
    warned = {q: [line for r in rs for line in report.warning_lines(r)] for q, rs in by_question.items()}
    by_question_findings = _by_question(results, sentences)
    files["index.html"] = page.report_page(run.name, facts, sections, images, by_question_findings, leading, warned)
    files["results.csv"] = export.results_csv(run.benchmarks)
    files["github-action-benchmark-bigger.json"] = export.github_action_benchmark(run.benchmarks, True)
    files["github-action-benchmark-smaller.json"] = export.github_action_benchmark(run.benchmarks, False)
    return files


def _by_question(results: list[dict], sentences: list[str]) -> dict[str, list[str]]:
    """The run's finding sentences by the question they come from; those across questions under ''."""
    rules = questions.findings_rules()
    asked = dict.fromkeys(r["question"] for r in results)
    own = {q: findings.findings([r for r in results if r["question"] == q], rules=rules) for q in asked}
    placed = {sentence for group in own.values() for sentence in group}
    return {**own, "": [sentence for sentence in sentences if sentence not in placed]}


def _scaling_tables(results: list[dict], network: str) -> list[report.Table]:
    rows = scaling.scaling_rows(results)
    return [cluster_tables.scaling_table(rows, network)] if rows else []


def _allreduce_tables(sweeps: Sequence[dict], results: list[dict], network: str) -> list[report.Table]:
    """Each sweep, then the estimated gradient all-reduce share of the run's training configurations it times."""
    tables = [cluster_tables.sweep_table(sweep, network) for sweep in sweeps]
    shares = allreduce.communication_share_rows(sweeps, results)
    return tables + ([cluster_tables.share_table(shares)] if shares else [])


def _in_report_order(sections: list[tuple[str, list]]) -> list[tuple[str, list]]:
    """The registry's questions by their order, then any it does not know, as they came."""
    known = {q.name: q.order for q in questions.all_questions()}
    return sorted(sections, key=lambda section: (section[0] not in known, known.get(section[0], 0)))


def report_command(
    selectors: Sequence[str], *, storage: Path, reports: Path, out: Path | None, say: Printer = print
) -> int:
    runs, named_failed = history.load_selected(selectors, storage, warn=warn_stderr)
    if out is not None and len(runs) > 1:
        print(
            f"{program()}: error: --out={str(out)!r} is not allowed with {len(runs)} runs; "
            "it names the folder of one run",
            file=sys.stderr,
        )
        return 2
    for run in runs:
        folder = out if out is not None else reports / run.name
        written = _write_all(folder, report_files(run))
        say(f"{run.name}: wrote {len(written)} files to {folder}/ (open {folder / 'index.html'})")
    return 2 if named_failed else 0


def _one_run(selector: str, role: str, storage: Path) -> SavedRun:
    """Raises: HistoryError when the selector names nothing usable."""
    paths = history.resolve(selector, storage)
    if len(paths) > 1:
        newest = max(paths, key=lambda p: p.stat().st_mtime)
        warn_stderr(f"{role}={selector!r} matches {len(paths)} runs; using the newest, {newest}")
        paths = [newest]
    run = history.load_run(paths[0])
    for line in run.skipped:
        warn_stderr(line)
    if run.incomplete:
        warn_stderr(f"{role}={selector!r}: {run.path} is incomplete, {INCOMPLETE}")
    return run


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _reference_section(run: SavedRun) -> str:
    """The NEW run's steps to target against the stored reference convergence points, or nothing."""
    results = [{**b.result, "question": b.question} for b in run.benchmarks]
    deviations = reference.check(results, reference_points.points())
    if not deviations:
        return ""
    lines = [f"- {d.line()}" for d in sorted(deviations, key=lambda d: d.verdict == "as the reference")]
    return "\n## Reference convergence points (NEW)\n\n" + "\n".join(lines) + "\n"


def compare_command(
    base_selector: str, new_selector: str, *, thresholds: dict[str, float], storage: Path, reports: Path,
    say: Printer = print,
) -> int:  # fmt: skip
    try:
        base = _one_run(base_selector, "BASE", storage)
        new = _one_run(new_selector, "NEW", storage)
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
    loaded = _load_warnings([base, new])
    comparison = verdict.compare_runs(base, new, thresholds)
    text = verdict_report.compare_markdown(base, new, comparison, differences, thresholds, loaded)
    text += _reference_section(new)
    path = reports / f"compare-{_safe(base.name)}-vs-{_safe(new.name)}.md"
    write_atomic(path, text, overwrite=True)
    say(text)
    say(f"wrote {path}")
    return 1 if comparison.any_worse else 0


def _load_warnings(runs: Sequence[SavedRun]) -> list[str]:
    """Warns on stderr about each run measured under load; returns the lines for the report."""
    lines = [line for run in runs if (line := fingerprint.load_warning(run.name, run.machine))]
    for line in lines:
        warn_stderr(f"{line}; its timings may be slow")
    return lines


def _trend_runs(selectors: Sequence[str], storage: Path) -> tuple[list[SavedRun], bool]:
    if selectors:
        return history.load_selected(selectors, storage, warn=warn_stderr)
    runs = []
    for path in history.saved_files(storage):
        try:
            runs.append(history.load_run(path))
        except history.HistoryError as error:
            warn_stderr(f"{error}; left out of the trend")
    if not runs:
        warn_stderr(f"no saved runs in {storage}/; run `make bench` a few times or pass RUN paths")
    return runs, not runs


def trend_command(
    selectors: Sequence[str], *, thresholds: dict[str, float], k: float, window: int, storage: Path,
    reports: Path, say: Printer = print,
) -> int:  # fmt: skip
    loaded, named_failed = _trend_runs(selectors, storage)
    if not loaded:
        return 2
    loaded.sort(key=lambda r: (r.datetime, r.name))
    runs = [r for r in loaded if fingerprint.same_hardware(r.machine, loaded[-1].machine)]
    loaded_lines = _load_warnings(runs[-window - 1 :])
    series = verdict.trend(runs, thresholds, k=k, window=window)
    files: dict[str, str | bytes] = {}
    plot_names: dict[str, str] = {}
    for key in runs[-1].by_key():
        panels = [(s.metric.label + (f" ({s.metric.unit})" if s.metric.unit else ""), s.points, s.verdict.verdict)
                  for s in series if s.key == key]  # fmt: skip
        name = _safe(key.replace("/", "--")) + ".png"
        files[name] = plots.trend_figure(key, panels)
        plot_names[key] = name
    text = verdict_report.trend_markdown(runs, series, plot_names, k, window, len(loaded) - len(runs), loaded_lines)
    files["trend.md"] = text
    folder = reports / "trend"
    _write_all(folder, files)
    say(text.split("\n## Plots")[0])
    say(f"wrote {len(files)} files to {folder}/")
    regressed = any(s.verdict.verdict == verdict.WORSE for s in series)
    return 1 if regressed else (2 if named_failed else 0)
