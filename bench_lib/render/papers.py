"""Renders the papers side by side (bench_lib.analysis.papers rows) as a Markdown page; computes no statistic."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bench_lib.render.tables import Table, to_markdown

HEADER = ("paper", "published effect", "this run", "verdict")


def papers_page(run_name: str, rows: Iterable[Sequence[str]]) -> str:
    """papers.md of a report: the published effects beside the run's, or a line saying none could be set beside."""
    rows = [tuple(row) for row in rows]
    head = (
        f"# The papers, side by side: {run_name}\n\n"
        "Each published batch-size effect this run's questions reproduce at small scale, beside the run's own "
        "comparison and its verdict (Welch's test and TOST, Holm-corrected with the run's findings): *agrees*, "
        "*disagrees* or *undecided*.\n\n"
    )
    if not rows:
        return head + "This run measured none of the questions these effects need.\n"
    return head + to_markdown(Table("", HEADER, rows)) + "\n"
