"""Renders a report as one self-contained HTML page in the manual's look: plots embedded as data URIs, no network.

The page reads like a question page of the manual: the findings at a glance first, the run's
facts, then one section per question with its findings beside its plots and, below them, the
tables of the configurations behind them. A glance row links to its question's section, a
finding to its question's rows, and each row has an anchor of its own (`#<question>/<id>`).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence

from bench_lib.render.tables import Table, question_title

# The manual's theme (MkDocs Material, indigo) in a few rules, with system fonts only.
STYLE = """
:root { --primary: #3f51b5; --primary-light: #e8eaf6; --text: #212121; --muted: #616161; --rule: #e0e0e0; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.6 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: var(--text); background: #fff; }
header { background: var(--primary); color: #fff; padding: 0.7em 1.5em; font-size: 1.15em; font-weight: 500;
         position: sticky; top: 0; z-index: 2; box-shadow: 0 2px 4px rgba(0, 0, 0, 0.2); }
.layout { display: flex; max-width: 1500px; margin: 0 auto; }
nav { flex: 0 0 15em; padding: 1.5em 1em; position: sticky; top: 3em; align-self: flex-start;
      max-height: calc(100vh - 3em); overflow-y: auto; font-size: 0.9em; }
nav a { display: block; color: var(--muted); text-decoration: none; padding: 0.2em 0; }
nav a:hover { color: var(--primary); }
main { flex: 1; min-width: 0; padding: 1em 2em 4em; }
h1 { font-weight: 300; font-size: 2em; margin: 0.5em 0; }
h2 { font-weight: 400; font-size: 1.5em; margin: 2em 0 0.6em; padding-top: 0.4em; border-top: 1px solid var(--rule); }
a { color: var(--primary); }
table { border-collapse: collapse; margin: 0.6em 0 1.4em; font-size: 0.85em; display: block; overflow-x: auto; }
caption { text-align: left; font-weight: 600; padding: 0.3em 0; }
th { background: var(--primary-light); font-weight: 600; }
th, td { padding: 0.35em 0.8em; border-bottom: 1px solid var(--rule); text-align: right; vertical-align: top; }
td:first-child, th:first-child { text-align: left; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
tbody tr:hover { background: #fafafa; }
tr:target { background: #fff8e1; }
.facts td, .glance td, .glance th { text-align: left; font-family: inherit; }
.facts td:first-child { color: var(--muted); white-space: nowrap; }
.question { display: flex; gap: 1.5em; align-items: flex-start; flex-wrap: wrap; }
.plots { flex: 3 1 30em; min-width: 0; }
.plots img { max-width: 100%; display: block; margin: 0 0 1em; }
aside.findings { flex: 2 1 20em; background: var(--primary-light); border-left: 4px solid var(--primary);
                 padding: 0.6em 1.2em; border-radius: 2px; }
aside.findings h3 { margin: 0.3em 0; font-size: 1em; font-weight: 600; }
aside.findings ul { padding-left: 1.2em; margin: 0.4em 0; }
aside.findings li { margin: 0.4em 0; }
.rows-link { font-size: 0.85em; white-space: nowrap; }
details.warnings { margin: 0 0 1.5em; font-size: 0.85em; border-left: 4px solid #ff9100; background: #fff3e0;
                   padding: 0.4em 1em; }
details.warnings summary { cursor: pointer; font-weight: 600; }
"""


def _anchor(text: str) -> str:
    return html.escape(text.replace(" ", "-"), quote=True)


def table_html(table: Table, css_class: str = "", row_anchor: str = "", links: Mapping[str, str] | None = None) -> str:
    """A table; with row_anchor each row gets the id `<row_anchor>/<first cell>`; `links` turns a first cell
    into a link to its anchor."""
    attr = f' class="{css_class}"' if css_class else ""
    caption = f"<caption>{html.escape(table.title)}</caption>" if table.title else ""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    head = f"<thead><tr>{head}</tr></thead>" if any(table.header) else ""
    body = "".join(_row_html(row, row_anchor, links or {}) for row in table.rows)
    return f"<table{attr}>{caption}{head}<tbody>{body}</tbody></table>"


def _row_html(row: Sequence[str], row_anchor: str, links: Mapping[str, str]) -> str:
    attr = f' id="{_anchor(f"{row_anchor}/{row[0]}")}"' if row_anchor and row else ""
    cells = [html.escape(c) for c in row]
    if row and row[0] in links:
        cells[0] = f'<a href="#{_anchor(links[row[0]])}">{cells[0]}</a>'
    return f"<tr{attr}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def image_html(name: str, png: bytes) -> str:
    data = base64.b64encode(png).decode()
    return f'<img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'


def _findings_aside(question: str, sentences: Sequence[str], has_rows: bool) -> str:
    link = f' <a class="rows-link" href="#rows-{_anchor(question)}">the rows ↓</a>' if has_rows else ""
    items = "".join(f"<li>{html.escape(sentence)}{link}</li>" for sentence in sentences)
    return f'<aside class="findings" id="findings-{_anchor(question)}"><h3>Findings</h3><ul>{items}</ul></aside>'


def _warnings_html(lines: Sequence[str]) -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    count = f"{len(lines)} measurement warning" + ("s" if len(lines) != 1 else "")
    return f'<details class="warnings"><summary>{count}</summary><ul>{items}</ul></details>'


def _question_section(
    question: str, tables: Sequence[Table], pngs: Sequence, sentences: Sequence[str], warnings: Sequence[str]
) -> list[str]:
    parts = [f'<h2 id="{_anchor(question)}">{html.escape(question_title(question))}</h2>', '<div class="question">']
    parts.append('<div class="plots">' + "".join(image_html(name, png) for name, png in pngs) + "</div>")
    if sentences:
        parts.append(_findings_aside(question, sentences, bool(tables)))
    parts.append("</div>")
    if tables:
        back = f' <a href="#findings-{_anchor(question)}">↑ findings</a>' if sentences else ""
        parts.append(f'<div id="rows-{_anchor(question)}"><p><strong>The configurations</strong>{back}</p>')
        parts += [table_html(table, row_anchor=question) for table in tables]
        parts.append("</div>")
    if warnings:
        parts.append(_warnings_html(warnings))
    return parts


def report_page(
    title: str,
    facts: Sequence[tuple[str, str]],
    sections: Sequence,
    plots: Mapping[str, Sequence[tuple[str, bytes]]],
    findings: Sequence[str] | Mapping[str, Sequence[str]] = (),
    at_a_glance: Table | None = None,
    warnings: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The page: facts are (label, value); sections are (question, [Table]); plots map question -> (name, PNG);
    findings are sentences by question (a question without a section, or a plain list of sentences, is shown
    after the at-a-glance table); at_a_glance (a table whose rows start with the question) comes first;
    warnings are the measurement warnings of each question's configurations, shown below its rows."""
    by_question = dict(findings) if isinstance(findings, Mapping) else {"": list(findings)}
    asked = [question for question, _ in sections]
    leftover = [s for q, sentences in by_question.items() if q not in asked for s in sentences]
    nav = ['<a href="#at-a-glance">At a glance</a>', '<a href="#the-run">The run</a>']
    nav += [f'<a href="#{_anchor(q)}">{html.escape(question_title(q))}</a>' for q in asked]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>tfbench report: {html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<header>tfbench report: {html.escape(title)}</header>",
        '<div class="layout"><nav>' + "".join(nav) + "</nav><main>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if leftover or (at_a_glance and at_a_glance.rows):
        parts.append('<h2 id="at-a-glance">At a glance</h2>')
    if at_a_glance and at_a_glance.rows:
        parts.append(table_html(at_a_glance, "glance", links={q: q for q in asked}))
    if leftover:
        items = "".join(f"<li>{html.escape(sentence)}</li>" for sentence in leftover)
        parts.append(f'<ul class="findings">{items}</ul>')
    parts.append('<h2 id="the-run">The run</h2>')
    parts.append(table_html(Table("", ("", ""), [tuple(pair) for pair in facts]), "facts"))
    for question, tables in sections:
        own = (warnings or {}).get(question, ())
        parts += _question_section(question, tables, plots.get(question, ()), by_question.get(question, ()), own)
    parts.append("</main></div></body></html>")
    return "\n".join(parts) + "\n"
