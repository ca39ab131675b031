"""Lists the question pages from the question registry when the manual is built, so a new question needs no edit here.

MkDocs calls on_config and on_page_markdown (mkdocs.yml `hooks:`): the `Questions` section of the
navigation keeps its hand-written pages that are no question's (the index, what the questions
found) and lists every question's page after them, in report order; the table of
docs/questions/index.md between its marker comments is the registry's. A question whose page is
missing fails the strict build. Nothing here imports TensorFlow.
"""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from bench_lib.render import question_index

SECTION = "Questions"
INDEX = "questions/index.md"


def _path(entry: object) -> str | None:
    """The page path of a nav entry ('questions/x.md' or {'Title': 'questions/x.md'}); None for a section."""
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and len(entry) == 1:
        (value,) = entry.values()
        return value if isinstance(value, str) else None
    return None


def questions_nav(entries: list) -> list:
    """The section's entries: those that are no question's page, then every question's page."""
    generated = question_index.nav_entries()
    pages = {path for entry in generated for path in entry.values()}
    return [entry for entry in entries if _path(entry) not in pages] + generated


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    for entry in config.nav or []:
        if isinstance(entry, dict) and SECTION in entry:
            entry[SECTION] = questions_nav(entry[SECTION])
    return config


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri == INDEX:
        return question_index.replace_table(markdown, question_index.index_table())
    return markdown
