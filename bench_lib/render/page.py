"""Renders a report as one self-contained HTML page: tables, and plots embedded as data URIs."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence

from bench_lib.render.tables import Table, question_title

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1400px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.6em 0 1.4em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; font-family: monospace; }
caption { text-align: left; font-weight: bold; padding: 4px 0; }
img { max-width: 100%; display: block; margin: 0.5em 0; }
.facts td, .glance td { text-align: left; font-family: inherit; }
"""


def table_html(table: Table, css_class: str = "") -> str:
    attr = f' class="{css_class}"' if css_class else ""
    caption = f"<caption>{html.escape(table.title)}</caption>" if table.title else ""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    head = f"<thead><tr>{head}</tr></thead>" if any(table.header) else ""
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f"<table{attr}>{caption}{head}<tbody>{body}</tbody></table>"


def image_html(name: str, png: bytes) -> str:
    data = base64.b64encode(png).decode()
    return f'<img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'


def report_page(
    title: str,
    facts: Sequence[tuple[str, str]],
    sections: Sequence,
    plots: Mapping[str, Sequence[tuple[str, bytes]]],
    findings: Sequence[str] = (),
    at_a_glance: Table | None = None,
) -> str:
    """The page: facts are (label, value); sections are (question, [Table]); plots map question -> (name, PNG);
    at_a_glance (a table) opens the findings, whose sentences follow as the long form."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>tfbench report: {html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>tfbench report: {html.escape(title)}</h1>",
        table_html(Table("", ("", ""), [tuple(pair) for pair in facts]), "facts"),
    ]
    if findings or (at_a_glance and at_a_glance.rows):
        parts.append('<h2 id="findings">Findings</h2>')
    if at_a_glance and at_a_glance.rows:
        parts.append(table_html(at_a_glance, "glance"))
    if findings:
        items = "".join(f"<li>{html.escape(sentence)}</li>" for sentence in findings)
        parts.append(f'<ul class="findings">{items}</ul>')
    for question, tables in sections:
        parts.append(f'<h2 id="{html.escape(question)}">{html.escape(question_title(question))}</h2>')
        parts += [image_html(name, png) for name, png in plots.get(question, ())]
        parts += [table_html(table) for table in tables]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
