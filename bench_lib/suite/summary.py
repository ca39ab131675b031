"""The end-of-session summary: per-question tables, scaling, warnings, findings (at a glance, then in full), plot.

The findings are judged from what the saved run will hold, as `tfbench report` reads it
(judged_results): each saved configuration's result with its question and, where the run keeps
them (--benchmark-save-data, or --benchmark-json), its timed rounds, then the configurations that
did not end ok. So the session's findings and the report's are one family, judged alike.
"""

from __future__ import annotations

import pytest

from bench_lib.analysis.family import Family
from bench_lib.suite import stash


@pytest.fixture
def summary_lines(request: pytest.FixtureRequest) -> list[str]:
    """Lines a benchmark adds to the end-of-session summary."""
    return request.config.stash.setdefault(stash.LINES, [])


def _saved_benchmarks(config: pytest.Config) -> list[dict]:
    """The benchmark entries with a result the saved run will hold: an earlier session's (--bench-resume), then this
    session's, in the order they ran."""
    from bench_lib.suite import saving

    return [b for b in saving.benchmark_entries(config) if "schema_version" in (b.get("extra_info") or {})]


def judged_results(config: pytest.Config) -> list[dict]:
    """The result dicts the report of the saved run judges its findings from, in its order.

    Each saved configuration's result (its benchmark's extra_info, question included) with its
    timed rounds as rounds_s — empty where the named run keeps no rounds (no
    --benchmark-save-data) — then each configuration that did not end ok, without rounds. A
    session that timed nothing (--benchmark-disable) saves no result: its ok results are judged
    without rounds.
    """
    from bench_lib.suite.saving import Saving

    saving = config.stash.get(stash.SAVING, Saving())
    rounds_kept = saving.keep_data or saving.name is None
    kept = [{k: v for k, v in r.items() if k not in ("name", "group")} for r in config.stash.get(stash.RESULTS, [])]
    saved = [
        {**b["extra_info"], "rounds_s": tuple(b["stats"].get("data") or ()) if rounds_kept else ()}
        for b in _saved_benchmarks(config)
    ] or [r | {"rounds_s": ()} for r in kept if r.get("status") == "ok"]
    return saved + [r | {"rounds_s": ()} for r in kept if r.get("status") != "ok"]


def judged_family(results: list[dict]) -> Family:
    """The settled family of these results' findings, as the report judges it."""
    from bench_lib import questions

    return questions.judged_family(results)


def replace_results(config: pytest.Config, before: list[dict], after: list[dict]) -> None:
    """Puts the results that changed (judged_results' dicts, `before` and `after` in the same order) back into
    the saved benchmarks' extra_info and the session's result dicts (the tables), found by question, id and seeds."""
    benches, kept = _saved_benchmarks(config), config.stash.get(stash.RESULTS, [])
    for old, new in zip(before, after, strict=True):
        new = {k: v for k, v in new.items() if k != "rounds_s"}
        if new == {k: v for k, v in old.items() if k != "rounds_s"}:
            continue
        same = (old.get("question"), old.get("id"), old.get("seeds"))
        for bench in benches:
            info = bench["extra_info"]
            if (info.get("question"), info.get("id"), info.get("seeds")) == same:
                bench["extra_info"] = {**info, **new}
        for r in kept:
            if (r.get("question"), r.get("id"), r.get("seeds")) == same:
                r.update(new)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    results = config.stash.get(stash.RESULTS, [])
    lines = config.stash.get(stash.LINES, [])
    if not results and not lines:
        return
    from bench_lib import questions
    from bench_lib.analysis import scaling
    from bench_lib.render import tables as report

    terminalreporter.section("tfbench results")
    for question in dict.fromkeys(r["question"] for r in results):
        terminalreporter.write_line(f"\n{question}:\n")
        asked = [r for r in results if r["question"] == question]
        terminalreporter.write_line(report.markdown_table(asked, question))
        if (entry := questions.find(question)) and entry.table:
            terminalreporter.write_line(f"\n{entry.table.title}:\n")
            terminalreporter.write_line(report.markdown_table(asked, columns=entry.table.columns))
        rows = scaling.scaling_rows(asked)
        if rows:
            terminalreporter.write_line(
                f"\n{question}, scaling efficiency (replicas sharing one machine's cores measure overhead):\n"
            )
            terminalreporter.write_line(report.markdown_table(rows, columns=report.SCALING_COLUMNS))
    for line in lines:
        terminalreporter.write_line("\n" + line)
    warnings = [line for r in results for line in report.warning_lines(r)]
    if warnings:
        terminalreporter.write_line("")
        for line in warnings:
            terminalreporter.write_line(line, yellow=True)
    from bench_lib.analysis.findings import findings
    from bench_lib.analysis.glance import glance
    from bench_lib.suite import until_decided

    terminalreporter.section("tfbench findings")
    judged = judged_results(config)
    family = judged_family(judged)
    rows = [row.as_row() for row in glance(judged, rules=questions.glance_rules(), family=family)]
    if rows:
        terminalreporter.write_line(report.to_markdown(report.glance_table(rows)) + "\n")
    for sentence in findings(judged, rules=questions.findings_rules(), family=family, cross=questions.cross_findings):
        terminalreporter.write_line(f"- {sentence}")
    if (reason := config.stash.get(until_decided.NOT_HERE, None)) is not None:
        terminalreporter.write_line(f"- seeds until decided: no seeds added, {reason}", yellow=True)
    for line in until_decided.held_lines(judged):
        terminalreporter.write_line(f"- {line}", yellow=True)
    if (folder := config.getoption("--bench-plot-dir")) is not None:
        _write_plot(terminalreporter, results, folder)


def _write_plot(terminalreporter, results: list[dict], folder: str) -> None:
    """steps_to_target.png in folder, or steps_to_target-2.png, ... — never over a saved file."""
    from pathlib import Path

    from bench_lib.render.plot_scaling import plot_steps_to_target

    path, n = Path(folder) / "steps_to_target.png", 1
    while path.exists():
        n += 1
        path = Path(folder) / f"steps_to_target-{n}.png"
    if plot_steps_to_target(results, path) is not None:
        terminalreporter.write_line(f"\nsteps-to-target plot: {path}")
