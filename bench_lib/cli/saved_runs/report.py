"""`tfbench report`: every file of one run's report (report.md, index.html, results.csv, plots, exports)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from bench_lib import questions
from bench_lib import reference as reference_points
from bench_lib.analysis import convergence_points, findings, glance, machines, scaling
from bench_lib.cli.program import program
from bench_lib.cli.saved_runs import Printer
from bench_lib.cli.saved_runs.loading import INCOMPLETE, warn_stderr
from bench_lib.cli.saved_runs.writing import write_all
from bench_lib.record import history
from bench_lib.record.history import SavedRun
from bench_lib.render import cluster_tables, export, machine_tables, page, plot_scaling, plots
from bench_lib.render import tables as report
from bench_lib.render.papers import papers_page


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
        written = write_all(folder, report_files(run))
        say(f"{run.name}: wrote {len(written)} files to {folder}/ (open {folder / 'index.html'})")
    return 2 if named_failed else 0
