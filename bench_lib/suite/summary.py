"""The end-of-session summary: per-question tables, scaling, warnings, findings (at a glance, then in full), plot."""

from __future__ import annotations

import pytest

from bench_lib.suite import stash


@pytest.fixture
def summary_lines(request: pytest.FixtureRequest) -> list[str]:
    """Lines a benchmark adds to the end-of-session summary."""
    return request.config.stash.setdefault(stash.LINES, [])


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
    from bench_lib.analysis.findings import findings, judged_family
    from bench_lib.analysis.glance import glance

    terminalreporter.section("tfbench findings")
    family = judged_family(
        results,
        rules=questions.findings_rules(),
        glance_rules=questions.glance_rules(),
        papers=questions.papers_side_by_side,
    )
    rows = [row.as_row() for row in glance(results, rules=questions.glance_rules(), family=family)]
    if rows:
        terminalreporter.write_line(report.to_markdown(report.glance_table(rows)) + "\n")
    for sentence in findings(results, rules=questions.findings_rules(), family=family, cross=questions.cross_findings):
        terminalreporter.write_line(f"- {sentence}")
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
