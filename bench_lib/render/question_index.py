"""Renders the tables that list the questions (the manual's index, the README's) from the question registry.

Each question's row comes from its entry's `page`; a question without one (covered by a sibling's
page) has no row. The tables sit between two marker comments in their files, so the rest of each
file stays hand-written; `replace_table` puts a fresh table between them.
"""

from __future__ import annotations

import re

from bench_lib import questions

START, END = "<!-- questions:start (generated from bench_lib/questions; do not edit) -->", "<!-- questions:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def index_table() -> str:
    """The manual's table (docs/questions/index.md): module, question linking its page, quick grid."""
    lines = ["| module | question | quick grid |", "|---|---|---|"]
    for q in questions.all_questions():
        if q.page is not None:
            lines.append(f"| `test_{q.name}.py` | [{_cell(q.page.asks)}]({q.page.path}) | {_cell(q.page.quick_grid)} |")
    return "\n".join(lines)


def readme_table(pages: str = "docs/questions/") -> str:
    """The README's table: the page's title linking it, the question, quick grid."""
    lines = ["| question | quick grid |", "|---|---|"]
    for q in questions.all_questions():
        if q.page is not None:
            asks = q.page.asks[:1].lower() + q.page.asks[1:]
            asked = f"[{q.page.nav}]({pages}{q.page.path}): {_cell(asks)}"
            lines.append(f"| {asked} | {_cell(q.page.quick_grid)} |")
    return "\n".join(lines)


def nav_entries() -> list[dict[str, str]]:
    """The manual's navigation entries of the question pages, in report order (mkdocs `nav` items)."""
    return [{q.page.nav: f"questions/{q.page.path}"} for q in questions.all_questions() if q.page is not None]


def replace_table(text: str, table: str) -> str:
    """text with the table between its START and END markers.

    Raises:
      ValueError: text lacks the markers, in that order.
    """
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"the text has no {START!r} ... {END!r} markers to put the questions table between")
    return pattern.sub(lambda _: f"{START}\n{table}\n{END}", text, count=1)
