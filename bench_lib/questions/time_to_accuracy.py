"""The time-to-accuracy question: steps, examples and seconds to a target test accuracy across batch sizes."""

import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass

from bench_lib.analysis import findings as sentences
from bench_lib.analysis import glance, papers
from bench_lib.analysis.family import Family
from bench_lib.analysis.supplied import Supplies
from bench_lib.analysis.vocabulary import READINGS, Figure, budget, interval_text, spec_of, steps_to_target_series
from bench_lib.config import option_text
from bench_lib.questions.registry import Page, Question, SizeOption


@dataclass(frozen=True, kw_only=True)
class Sizes:
    target_accuracy: float
    batch_sizes: tuple[int, ...]  # the first is the base batch of the learning-rate rules
    lr_scalings: tuple[str, ...]
    check_examples: int  # test accuracy is checked about every this many training examples
    max_epochs: int  # the budget of a configuration that never reaches the target


def _times(a: float, b: float) -> str:
    return f"{a / b:.1f}×"


def _direction(small: float, large: float) -> str:
    return "fall" if large < small else "rise" if large > small else "stay level"


def _fewer(small: float, large: float) -> str:
    """'8.0× fewer steps', '1.5× more steps' or 'as many steps', from the small batch's steps to the large one's."""
    if large < small:
        return f"{_times(small, large)} fewer steps"
    return f"{_times(large, small)} more steps" if large > small else "as many steps"


def _grid_step(p: tuple[int, Figure], q: tuple[int, Figure]) -> str:
    """e.g. 'batch 64→256: steps ÷3.7 (perfect ÷4.0)' — perfect scaling divides steps by the batch ratio."""
    return f"batch {p[0]}→{q[0]}: steps ÷{p[1].mean / q[1].mean:.1f} (perfect ÷{q[0] / p[0]:.1f})"


def _series_parts(reached: list[tuple[int, Figure]], missed: list[int], family: Family) -> list[str]:
    steps = READINGS["steps_to_target"]
    parts = []
    if len(reached) >= 2:
        (b0, f0), (b1, f1) = reached[0], reached[-1]
        verdict = family.judge(f0, f1, steps).text()
        parts.append(
            f"steps to the target {_direction(f0.mean, f1.mean)} from {interval_text(f0, steps.fmt, log=True)} at "
            f"batch {b0} to {interval_text(f1, steps.fmt, log=True)} at batch {b1} ({verdict}): "
            f"a {_times(b1, b0)} larger batch needs {_fewer(f0.mean, f1.mean)}, "
            f"where perfect scaling would give {_times(b1, b0)} fewer"
        )
        if len(reached) > 2:
            parts.append("step by step " + ", ".join(_grid_step(p, q) for p, q in itertools.pairwise(reached)))
    elif reached:
        parts.append(f"reached only at batch {reached[0][0]}, in {interval_text(reached[0][1], steps.fmt)} steps")
    if missed:
        parts.append("not reached at batch " + ", ".join(map(str, missed)) + " within the budget")
    return parts


def findings(results: list[Mapping[str, object]], metric: str, *, family: Family | None = None) -> list[str]:
    """Steps to the target along the batch size, judged, against perfect scaling, and where it was not reached."""
    family = family if family is not None else Family()
    targeted = [r for r in results if spec_of(r).get("target_accuracy") is not None]
    if not targeted:
        return [sentences.generic("time_to_accuracy", results, metric, family=family)]
    clauses = []
    for name, series in steps_to_target_series(targeted).items():
        missed = [b for b, f in series if f is None]
        parts = _series_parts([(b, f) for b, f in series if f is not None], missed, family)
        if parts:
            clauses.append((f"{name}: " if name else "") + "; ".join(parts))
    target = spec_of(targeted[0])["target_accuracy"]
    limit = budget(spec_of(targeted[0])).removeprefix("at ")
    head = f"time_to_accuracy (test accuracy {target:g} within at most {limit})"
    return [f"{head}: " + ("; ".join(clauses) if clauses else "nothing to compare") + "."]


SHALLUE = papers.Paper(
    paper="Shallue et al. 2019",
    published="steps to a goal fall with the batch: perfect scaling, then diminishing returns, then a plateau",
    read=papers.steps_fall,
)

QUESTION = Question(
    name="time_to_accuracy",
    title="Steps and time to a target accuracy",
    order=70,
    quick_until_decided=True,
    quick=Sizes(
        target_accuracy=0.85, batch_sizes=(16, 128, 1024), lr_scalings=("linear",), check_examples=256, max_epochs=40
    ),
    full=Sizes(
        target_accuracy=0.9,
        batch_sizes=(16, 32, 64, 128, 256, 512, 1024, 2048),
        lr_scalings=("none", "sqrt", "linear"),
        check_examples=1024,
        max_epochs=60,
    ),
    options=(
        SizeOption(
            name="--bench-target-accuracy",
            help="test accuracy of the time-to-accuracy question",
            field="target_accuracy",
            parse=option_text.accuracy,
        ),
    ),
    metric="steps_to_target",
    findings=findings,
    papers=(SHALLUE,),
    # Its series give the critical batch fitted beside the noise-scale probe's B_simple.
    supplies=Supplies(steps_to_target=True),
    glance=functools.partial(glance.compared, metric="steps_to_target"),
    page=Page(
        path="time-to-accuracy.md",
        nav="Time to accuracy",
        asks="How many steps, examples and seconds to a target accuracy?",
        quick_grid="`mlp`, batch 16, 128, 1024, target 0.85, 3 seeds",
    ),
)
