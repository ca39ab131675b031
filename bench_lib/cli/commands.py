"""The report, compare and trend commands: read saved runs, decide, render, and write files atomically.

Each returns the process exit status: 0 fine, 1 something is worse (compare) or regressed
(trend), 2 a run the user named could not be used, 3 (with --fail-insensitive, nothing worse) a
timing comparison could not have seen a change of the threshold's size. A file that cannot be written raises OSError
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
from bench_lib.analysis import computation, convergence_points, findings, glance, machines, scaling, verdict
from bench_lib.analysis import trend as history_trend
from bench_lib.cli.arguments import program
from bench_lib.record import fingerprint, history
from bench_lib.record.files import write_all_atomic, write_atomic
from bench_lib.record.history import SavedRun
from bench_lib.render import cluster_tables, export, machine_tables, page, plot_scaling, plots, trend_pages
from bench_lib.render import tables as report
from bench_lib.render import verdict_tables as verdict_report
from bench_lib.render.papers import papers_page

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


def _saved_sections(run: SavedRun, results: list[dict], network: str) -> dict[str, list[report.Table]]:
    """The tables each question makes from the entries it saved in place of results, by question."""
    sections = {}
    for question in questions.all_questions():
        entries = question.saved(run.extras)
        if entries and question.saved_tables is not None:
            sections[question.name] = [report.rows_table(t) for t in question.saved_tables(entries, results, network)]
    return sections


def _saved_facts(run: SavedRun) -> list[tuple[str, str]]:
    """The facts lines questions state from what they saved, and a line per saved entry no question reads."""
    facts, claimed = [], 0
    for question in questions.all_questions():
        entries = question.saved(run.extras)
        claimed += len(entries)
        if question.saved_facts is not None:
            facts += [question.saved_facts(entry) for entry in entries]
    unread = sum(len(entries) for entries in run.extras.values()) - claimed
    if unread:
        facts.append(("entries not read", f"{unread} saved entries that are neither a result nor a question's own"))
    return facts


def report_files(run: SavedRun) -> dict[str, str | bytes]:
    """Every file of one run's report, by name: report.md, index.html, results.csv, PNGs, exports."""
    by_question = _questions(run)
    network = scaling.network(run.machine.get("tfbench_cluster"))
    results = run.judged_results()
    sections = [
        (q, report.question_tables(rs, q) + _scaling_tables(rs, network) + _precision_tables(run, q))
        for q, rs in by_question.items()
    ]
    saved = _saved_sections(run, results, network)
    sections = [(q, tables + saved.pop(q, [])) for q, tables in sections]
    sections = _in_report_order([*sections, *saved.items()])
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
    facts += _saved_facts(run)
    if run.skipped:
        facts.append(("entries not read", "; ".join(run.skipped)))
    names = {q: [name for name, _ in pngs] for q, pngs in images.items()}
    files: dict[str, str | bytes] = {name: png for pngs in images.values() for name, png in pngs}
    family = questions.judged_family(results)
    sentences = findings.findings(
        results, rules=questions.findings_rules(), family=family, cross=questions.cross_findings
    )
    sentences += convergence_points.sentences(convergence_points.check(results, reference_points.points()))
    leading = report.glance_table(
        row.as_row() for row in glance.glance(results, rules=questions.glance_rules(), family=family)
    )
    files["report.md"] = report.report_markdown(run.name, facts, sections, names, sentences, leading)
    side_by_side = findings.papers_side_by_side(results, family=family, papers=questions.papers_side_by_side)
    files["papers.md"] = papers_page(run.name, (row.as_row() for row in side_by_side))
    warned = {q: [line for r in rs for line in report.warning_lines(r)] for q, rs in by_question.items()}
    by_question_findings = _by_question(results, sentences, family)
    files["index.html"] = page.report_page(run.name, facts, sections, images, by_question_findings, leading, warned)
    files["results.csv"] = export.results_csv(run.benchmarks)
    files["github-action-benchmark-bigger.json"] = export.github_action_benchmark(run.benchmarks, True)
    files["github-action-benchmark-smaller.json"] = export.github_action_benchmark(run.benchmarks, False)
    return files


def _precision_tables(run: SavedRun, question: str) -> list[report.Table]:
    """Each mixed-precision configuration of the question against its float32 twin, where it has one."""
    found = machines.precision_speedups(run.benchmarks, questions=(question,))
    return [machine_tables.speedup_table(found)] if found else []


def _by_question(results: list[dict], sentences: list[str], family: findings.Family) -> dict[str, list[str]]:
    """The run's finding sentences by the question they come from; those across questions and the rule under ''.

    Each question's sentences are judged with the run's settled family, so they read as in the whole findings.
    """
    rules = questions.findings_rules()
    asked = dict.fromkeys(r["question"] for r in results)
    rule = family.rule_text()
    own = {
        q: [s for s in findings.findings([r for r in results if r["question"] == q], rules=rules, family=family)
            if s != rule]
        for q in asked
    }  # fmt: skip
    placed = {sentence for group in own.values() for sentence in group}
    return {**own, "": [sentence for sentence in sentences if sentence not in placed]}


def _scaling_tables(results: list[dict], network: str) -> list[report.Table]:
    rows = scaling.scaling_rows(results)
    return [cluster_tables.scaling_table(rows, network)] if rows else []


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
    if fingerprint.hardware_differs(base.machine, new.machine):  # the purchase question before the rows
        text = _machines_section(base, new) + "\n" + text
    text += _reference_section(new)
    path = reports / f"compare-{_safe(base.name)}-vs-{_safe(new.name)}.md"
    write_atomic(path, text, overwrite=True)
    say(text)
    say(f"wrote {path}")
    return _status(comparison.any_worse, fail_insensitive and bool(comparison.insensitive(thresholds)))


def _status(worse: bool, insensitive: bool) -> int:
    """1 when something is worse, else INSENSITIVE_EXIT when a demanded sensitivity was not reached, else 0."""
    return 1 if worse else (verdict.INSENSITIVE_EXIT if insensitive else 0)


def _machines_section(base: SavedRun, new: SavedRun) -> str:
    """NEW over BASE per family and precision on the questions that time steps, and both runs' findings."""
    timed = [q.name for q in questions.all_questions() if q.metric == "examples_per_sec"]
    summary = machines.summarize(base.benchmarks, new.benchmarks, questions=timed)
    pairs = machines.findings_side_by_side(
        base.benchmarks, new.benchmarks, rules=questions.glance_rules(), judged=questions.judged_family
    )
    speedups = [(run.name, machines.precision_speedups(run.benchmarks, questions=timed)) for run in (base, new)]
    return machine_tables.summary_markdown(base.name, new.name, summary, pairs, speedups)


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


def _history(loaded: Sequence[SavedRun], order: str) -> tuple[list[SavedRun], list[str]]:
    """The newest whole run's machine history in the asked order, and one line per run left out, saying why."""
    left_out = []
    whole = []
    for run in loaded:
        if reason := history.partial(run):
            left_out.append(f"`{run.name}`: {reason}")
        else:
            whole.append(run)
    if not whole:
        return [], left_out
    newest = history.ordered(whole, "saved")[-1]
    runs = []
    for run in whole:
        if split := history.machine_split(newest.machine, run.machine):
            left_out.append(f"`{run.name}`: another machine or set-up ({'; '.join(split)})")
        else:
            runs.append(run)
    return history.ordered(runs, order), left_out


def trend_command(
    selectors: Sequence[str], *, thresholds: dict[str, float], k: float, window: int, storage: Path,
    reports: Path, order: str = "saved", fail_insensitive: bool = False, say: Printer = print,
) -> int:  # fmt: skip
    loaded, named_failed = _trend_runs(selectors, storage)
    if not loaded:
        return 2
    runs, left_out = _history(loaded, order)
    for line in left_out:
        warn_stderr(f"left out of the trend: {line}")
    if not runs:
        warn_stderr("no whole saved run to follow")
        return 2
    loaded_lines = _load_warnings(runs[-window - 1 :])
    result = history_trend.trend(runs, thresholds, k=k, window=window)
    files: dict[str, str | bytes] = {}
    plot_names: dict[str, str] = {}
    pages: dict[str, str] = {}
    worst: dict[str, str] = {}
    for key in runs[-1].by_key():
        panels = [(s.metric.label + (f" ({s.metric.unit})" if s.metric.unit else ""), s.points, s.verdict.verdict)
                  for s in result.series if s.key == key and s.metric.compare != "status"]  # fmt: skip
        stem = _safe(key.replace("/", "--"))
        files[stem + ".png"] = plots.trend_figure(key, panels)
        plot_names[key] = stem + ".png"
        mine = [s for s in result.series if s.key == key and s.metric.compare != "status"]
        files[stem + ".html"] = trend_pages.benchmark_page(key, mine, trend_pages.band_figure(key, mine))
        pages[key] = stem + ".html"
        worst[key] = next(s.verdict.verdict for s in result.series if s.key == key)  # the series are worst first
    files["index.html"] = trend_pages.index_page(pages, worst, len(runs))
    changed = computation.changed_in_history(runs)
    text = verdict_report.trend_markdown(
        runs,
        result,
        plot_names,
        k,
        window,
        left_out,
        thresholds,
        loaded_lines,
        order=order,
        computation_changed=changed,
        pages=pages,
    )
    files["trend.md"] = text
    folder = reports / "trend"
    _write_all(folder, files)
    say(text.split("\n## Plots")[0])
    say(f"wrote {len(files)} files to {folder}/; each benchmark's history and noise band: {folder / 'index.html'}")
    status = _status(result.any_worse, fail_insensitive and bool(result.insensitive(thresholds)))
    return status if status else (2 if named_failed else 0)
