"""A question that lives outside bench_lib: every declaration a question can make, with its own behaviour.

tests/test_toy_question.py copies this folder (toy_benchmark.py as test_toy.py) to a temporary
directory and adds the question from there, to show that a question is its module: nothing in
bench_lib names it.
"""

from dataclasses import dataclass

from bench_lib import questions
from bench_lib.analysis import glance, papers
from bench_lib.record.metrics import ResultKey


@dataclass(frozen=True, kw_only=True)
class Sizes:
    points: tuple[int, ...]  # each point is a configuration at global batch 8 x point


def _points(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ValueError("comma-separated whole numbers, e.g. 1,4") from None


def _findings(results, metric):
    return [f"toy: {len(results)} configurations counted by the toy rule."]


def _glance(question, results, **judged):  # judged: the run's family=..., which a fixed answer needs not
    return glance.Glance(question, "The toy answers by its own rule.", f"{len(results)} configurations", "estimate")


def _toy_paper(results, supplied, family):
    """The toy's own reading of its paper, beside the shared reading of test accuracy along the batch."""
    return [
        (f"{len(results)} configurations", "undecided"),
        *papers.accuracy_along_batch("rise")(results, supplied, family),
    ]


def _trace_tables(entries, results, network):
    rows = [{"point": p} for entry in entries for p in entry["toy_trace"]]
    return [questions.RowsTable(title="toy trace", columns=(("toy point", "point", "d"),), rows=rows)]


QUESTION = questions.Question(
    name="toy",
    title="A toy question",
    order=15,
    quick=Sizes(points=(1, 2)),
    full=Sizes(points=(1, 2, 4)),
    nightly=Sizes(points=(2,)),  # the nightly profile's own; a question that declares none runs its quick sizes there
    options=(
        questions.SizeOption(
            name="--bench-toy-points", help="points of the toy question", field="points", parse=_points
        ),
    ),
    columns=(("toy figure", "toy_figure", ".1f"),),
    findings=_findings,
    glance=_glance,
    # Its results are steps-to-target series: the critical batch across questions is fitted to them.
    supplies=questions.Supplies(steps_to_target=True),
    papers=(questions.Paper(paper="Toy et al.", published="the toy grows with the batch", read=_toy_paper),),
    saved_keys=frozenset({"toy_trace"}),
    saved_tables=_trace_tables,
    saved_facts=lambda entry: ("toy trace", ", ".join(str(p) for p in entry["toy_trace"])),
    result_keys=(ResultKey("toy_figure", "The toy question's own figure: the global batch over 8."),),
    page=questions.Page(path="toy.md", nav="Toy", asks="What does the toy answer?", quick_grid="`mlp`, points 1, 2"),
)
