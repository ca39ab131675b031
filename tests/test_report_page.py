"""The HTML report reads like the manual: at a glance first, a question's findings beside its plots, linked rows."""

from __future__ import annotations

import re

from bench_lib.render.page import report_page
from bench_lib.render.tables import Table

GLANCE = Table(
    "Findings at a glance", ("question", "answer", "evidence", "verdict"), [("batch_size", "falls", "", "real")]
)
ROWS = Table("one_device", ("configuration", "test accuracy"), [("one_device-bs32-acc1-mlp-adam", "0.91")])
PNG = b"\x89PNG\r\n\x1a\n"


def page() -> str:
    return report_page(
        "0001_quick",
        [("CPU", "AMD EPYC")],
        [("batch_size", [ROWS])],
        {"batch_size": [("batch_size.png", PNG)]},
        {"batch_size": ["batch_size: test accuracy falls."], "": ["across questions: one sentence."]},
        GLANCE,
    )


def test_the_glance_table_comes_first_then_the_run_then_each_question():
    text = page()
    assert text.index('class="glance"') < text.index('id="the-run"') < text.index('<h2 id="batch_size">')
    assert text.index("across questions: one sentence.") < text.index('id="the-run"')


def test_a_questions_findings_sit_beside_its_plots_above_its_rows():
    section = page().split('<h2 id="batch_size">')[1]
    question = section.split('<div class="question">')[1]
    assert question.index('<div class="plots"><img alt="batch_size.png"') < question.index('<aside class="findings"')
    assert question.index("test accuracy falls.") < question.index('id="rows-batch_size"')


def test_every_link_lands_on_an_anchor_of_the_page():
    text = page()
    ids = set(re.findall(r'id="([^"]+)"', text))
    links = set(re.findall(r'href="#([^"]+)"', text))
    assert links <= ids, links - ids
    assert {"batch_size", "rows-batch_size", "findings-batch_size"} <= links  # glance -> section, finding <-> rows
    assert "batch_size/one_device-bs32-acc1-mlp-adam" in ids  # each row can be linked to


def test_the_page_needs_no_network():
    text = page()
    assert not re.search(r'(src|href)="(https?:)?//', text)
    assert "@import" not in text and "<link" not in text


def test_a_questions_measurement_warnings_follow_its_rows():
    text = report_page(
        "r", [], [("batch_size", [ROWS])], {}, {}, None, {"batch_size": ["WARNING: one_device-bs32: unstable"]}
    )
    assert text.index('id="rows-batch_size"') < text.index("1 measurement warning</summary>") < text.index("unstable")
