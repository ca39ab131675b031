"""The question registry: what it holds, its errors, and a question added at test time reaching the report."""

import ast
import dataclasses
from pathlib import Path

import pytest

from bench_lib import questions
from bench_lib.cli.saved_runs import report as report_command
from bench_lib.record import history
from bench_lib.suite import stash, summary

ROOT = Path(__file__).resolve().parents[1]
REPORT_ORDER = [
    "batch_size",
    "batch_size_fixed_steps",
    "accumulation",
    "batchnorm",
    "sync_bn",
    "lr_scaling",
    "time_to_accuracy",
    "noise_scale",
    "precision",
    "throughput",
    "harness",
    "allreduce",
    "max_batch_size",
]


def benchmark_functions() -> set[str]:
    """The question of every test function in benchmarks/, read without importing (or starting TensorFlow)."""
    names = set()
    for path in (ROOT / "benchmarks").glob("test_*.py"):
        tree = ast.parse(path.read_text())
        names |= {node.name.removeprefix("test_") for node in tree.body if isinstance(node, ast.FunctionDef)}
    return {name for name in names if name != "grid" and not name.startswith("_")}


def test_every_benchmark_has_one_entry_and_every_entry_a_benchmark():
    assert {q.name for q in questions.all_questions()} == benchmark_functions()
    assert len({q.order for q in questions.all_questions()}) == len(questions.all_questions()), "no two share a place"


def test_the_questions_keep_their_report_order():
    """Reports of saved runs list their sections in this order; a new question may go anywhere among them."""
    assert [q.name for q in questions.all_questions() if q.name in REPORT_ORDER] == REPORT_ORDER


def test_every_question_has_a_title_and_sizes_of_one_kind_in_both_profiles():
    for question in questions.all_questions():
        assert question.title and question.title != question.name
        if question.quick is not None:
            assert type(question.quick) is type(question.full)
            assert dataclasses.is_dataclass(question.quick) and question.quick.__dataclass_params__.frozen


def test_the_entries_hold_what_the_report_and_findings_read():
    assert questions.question("noise_scale").columns[0] == ("noise scale B_simple, examples", "noise_scale", ",.0f")
    assert questions.question("harness").table.row_key == "suite_over_handwritten"
    assert set(questions.findings_rules()) == {q.name for q in questions.all_questions()}
    assert questions.question("throughput").metric == "examples_per_sec"
    assert questions.question("time_to_accuracy").metric == "steps_to_target"
    assert questions.question("sync_bn").sizes("full").epochs == 20
    assert questions.profile_sizes("quick")["batch_size"].batch_sizes == (32, 128, 512)


def test_a_bad_name_is_one_line_naming_it_and_what_is_allowed():
    with pytest.raises(ValueError, match=r"^question='batch' is not allowed: choose one of batch_size, "):
        questions.question("batch")
    assert questions.find("batch") is None
    with pytest.raises(ValueError, match=r"^profile='huge' is not allowed: choose one of quick, full, nightly$"):
        questions.question("batch_size").sizes("huge")
    with pytest.raises(ValueError, match=r"^name='Toy Question' is not allowed: lower-case letters, digits and _$"):
        questions.Question(name="Toy Question", title="Toy", order=1)
    with pytest.raises(ValueError, match=r"^name='precision' is not allowed: a question of that name is registered"):
        questions.register(questions.Question(name="precision", title="Again", order=1))
    with pytest.raises(ValueError, match=r"^toy: quick and full sizes are given together or not at all$"):
        questions.Question(name="toy", title="Toy", order=1, quick=object())
    with pytest.raises(ValueError, match=r"^toy: nightly sizes are given with quick and full sizes or not at all$"):
        questions.Question(name="toy", title="Toy", order=1, nightly=object())
    with pytest.raises(ValueError, match=r"^toy: metric='test_loss' is not allowed: use one of test_accuracy, "):
        questions.Question(name="toy", title="Toy", order=1, metric="test_loss")


def _toy_findings(results, metric):
    return [f"toy: {len(results)} configurations counted by the toy rule."]


TOY = questions.Question(
    name="toy",
    title="A toy question",
    order=15,  # between the two batch-size questions
    columns=(("toy figure", "toy_figure", ".1f"),),
    findings=_toy_findings,
    table=questions.ExtraTable(
        title="toy table",
        columns=(("id", "id", "s"), ("twice the toy figure", "toy_twice", ".2f")),
        row_key="toy_twice",
    ),
)


@pytest.fixture
def toy():
    with questions.QUESTIONS.added(TOY):
        yield TOY
    assert questions.find(TOY.name) is None


def _example_run_with_toy_results() -> history.SavedRun:
    """The example run's batch-size results, and the same configurations again as the toy's."""
    run = history.load_run(ROOT / "reports" / "example" / "0001_example.json")
    batch_size = [b for b in run.benchmarks if b.question in ("batch_size", "batch_size_fixed_steps")]
    toy = [
        dataclasses.replace(b, question="toy", result={**b.result, "toy_figure": 7.25, "toy_twice": 14.5})
        for b in batch_size
        if b.question == "batch_size"
    ]
    return dataclasses.replace(run, benchmarks=(*toy, *batch_size))


def test_a_question_registered_at_test_time_reaches_the_report(toy):
    text = report_command.report_files(_example_run_with_toy_results())["report.md"]
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[1:4] == [
        "## Batch size (fixed epochs)",
        "## A toy question",
        "## Batch size (fixed optimizer steps)",
    ]
    section = text.split("## A toy question")[1].split("\n## ")[0]
    assert "| toy figure | status |" in section and "| 7.2 | ok |" in section  # its column, before status
    assert "**toy table**" in section and "| twice the toy figure |" in section and "| 14.50 |" in section
    assert "\n- toy: 6 configurations counted by the toy rule.\n" in text.split("## Batch size")[0]  # 2 x 3


def test_a_question_registered_at_test_time_reaches_the_suite_summary(toy):
    results = [
        {**b.result, "question": b.question} for b in _example_run_with_toy_results().benchmarks if b.question == "toy"
    ]
    lines = _summary(results)
    assert "toy:" in lines and "toy table:" in lines
    [table] = [line for line in lines if line.startswith("| id | status |")]
    assert table.endswith("| toy figure |")
    assert "- toy: 6 configurations counted by the toy rule." in lines


class _Terminal:
    def __init__(self):
        self.lines = []

    def section(self, title):
        self.lines.append(f"=== {title}")

    def write_line(self, line, **markup):
        self.lines += line.strip("\n").split("\n")


class _Config:
    def __init__(self, results):
        self.stash = pytest.Stash()
        self.stash[stash.RESULTS] = results

    def getoption(self, name):
        return None


def _summary(results) -> list[str]:
    terminal = _Terminal()
    summary.pytest_terminal_summary(terminal, _Config(results))
    return terminal.lines


def test_a_cross_question_sentence_is_declared_by_the_question_that_owns_it():
    def beside(supplied):
        return [f"toy beside {', '.join(f'{f.mean:g}' for f, _ in supplied.estimates)}"]

    owner = questions.Question(
        name="toy_owner",
        title="Toy owner",
        order=997,
        cross_findings=beside,
        supplies=questions.Supplies(noise_scale=True),
    )
    results = [{"question": "toy_owner", "status": "ok", "noise_scale": 90.0},
               {"question": "toy_owner", "status": "failed", "noise_scale": 70.0},
               {"question": "batch_size", "status": "ok", "noise_scale": 80.0}]  # fmt: skip
    with questions.QUESTIONS.added(owner):
        assert "toy beside 90" in questions.cross_findings(results), "ok results of questions that supply it, only"
    assert questions.question("noise_scale").cross_findings is not None, "noise scale beside the knee is its own"
