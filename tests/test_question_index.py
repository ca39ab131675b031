"""The tables and navigation that list the questions come from the registry; the README's copy is current."""

from pathlib import Path

import pytest

from bench_lib import questions
from bench_lib.render import question_index

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_table_is_the_registrys():
    text = (ROOT / "README.md").read_text()
    assert question_index.replace_table(text, question_index.readme_table()) == text, (
        "the README's questions table is stale: run `python tools/dev/write_question_tables.py`"
    )


def test_every_question_page_exists_and_is_listed_once():
    entries = question_index.nav_entries()
    paths = [path for entry in entries for path in entry.values()]
    assert len(paths) == len(set(paths)) == len([q for q in questions.all_questions() if q.page])
    assert all((ROOT / "docs" / path).is_file() for path in paths)


def test_the_index_has_markers_and_a_table_without_them_is_refused():
    index = (ROOT / "docs" / "questions" / "index.md").read_text()
    assert "| `test_batch_size.py` |" in question_index.replace_table(index, question_index.index_table())
    with pytest.raises(ValueError, match="has no '<!-- questions:start"):
        question_index.replace_table("# no markers\n", "| a |")


def test_the_navigation_keeps_hand_written_pages_and_lists_each_question_page_once():
    from docs_hooks.question_pages import questions_nav

    hand = ["questions/index.md", {"What the questions found": "questions/found.md"}, {"Old": "questions/harness.md"}]
    nav = questions_nav(hand)
    assert nav[:2] == hand[:2] and {"Old": "questions/harness.md"} not in nav
    assert nav[2:] == question_index.nav_entries()
