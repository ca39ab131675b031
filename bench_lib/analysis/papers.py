"""Provides the papers side by side: each published batch-size effect our questions reproduce, beside ours.

A question declares the papers it reproduces (`Paper`, on its registry entry): the paper, the
effect it reports (with its published figure where one exists) and how the question's results
test it. Every row gets a verdict, "agrees", "disagrees" or "undecided", read from the run's
judged comparisons (bench_lib.analysis.family), never from means alone. A paper whose question the
run did not measure has no row. Pure: no TensorFlow, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bench_lib.analysis import critical_batch
from bench_lib.analysis.family import Family, Verdict
from bench_lib.analysis.supplied import Supplied, Supplies, gather
from bench_lib.analysis.vocabulary import (
    READINGS,
    Figure,
    context_groups,
    figure,
    interval_text,
    question_of,
    spec_of,
    steps_to_target_series,
)
from bench_lib.maths import inference

VERDICTS = ("agrees", "disagrees", "undecided")
# What a question's results measure of a paper's effect: (measured, verdict) rows.
Measured = list[tuple[str, str]]


@dataclass(frozen=True)
class Row:
    """One published effect beside the run's measurement of it."""

    paper: str
    published: str
    measured: str
    verdict: str

    def as_row(self) -> tuple[str, str, str, str]:
        return (self.paper, self.published, self.measured, self.verdict)


@dataclass(frozen=True, kw_only=True)
class Paper:
    """A published effect a question reproduces: its rows of the papers side by side.

    paper: the authors and year, e.g. "Keskar et al. 2017"; rows of one paper stand together.
    published: the effect it reports, with its published figure where one exists.
    read: how the question's results test it: (its ok results, what the run's questions supply,
      the run's family of judged comparisons) in, (measured, verdict) rows out, none where the
      run cannot tell.
    """

    paper: str
    published: str
    read: Callable[[list[Mapping[str, object]], Supplied, Family], Measured]


def ends(results: list[Mapping[str, object]], key: str) -> tuple[tuple[int, Figure], tuple[int, Figure]] | None:
    """(smallest batch, its figure), (largest batch, its figure) in the first context (e.g. one_device)."""
    group = next(iter(context_groups(results, {"global_batch_size", "learning_rate"}).values()), [])
    points = sorted(
        ((spec_of(r)["global_batch_size"], f) for r in group if (f := figure(r, key)) is not None),
        key=lambda p: p[0],
    )
    return (points[0], points[-1]) if len(points) >= 2 and points[0][0] != points[-1][0] else None


def direction(verdict: Verdict, expected: str) -> str:
    """agrees / disagrees / undecided for an effect expected to be a 'fall', 'rise', 'same' or 'no fall'."""
    if verdict.decision == "undecided":
        return "undecided"
    if verdict.decision == "same":
        return "agrees" if expected in ("same", "no fall") else "disagrees"
    fell = verdict.comparison.estimate < (1 if verdict.reading.margin.scale == "ratio" else 0)
    if expected == "no fall":
        return "disagrees" if fell else "agrees"
    return "agrees" if ("fall" if fell else "rise") == expected else "disagrees"


def accuracy_along_batch(expected: str) -> Callable[[list[Mapping[str, object]], Supplied, Family], Measured]:
    """Reads an effect on test accuracy from the smallest to the largest batch: a 'fall', 'rise', 'same' or
    'no fall' (a rise or the same)."""

    def read(results: list[Mapping[str, object]], supplied: Supplied, family: Family) -> Measured:
        found = ends(results, "test_accuracy")
        if found is None:
            return []
        (b0, a), (b1, b) = found
        accuracy = READINGS["test_accuracy"]
        verdict = family.judge(a, b, accuracy)
        start, end = interval_text(a, accuracy.fmt), interval_text(b, accuracy.fmt)
        measured = f"{start} at batch {b0} → {end} at {b1} ({verdict.text()})"
        return [(measured, direction(verdict, expected))]

    return read


def steps_fall(results: list[Mapping[str, object]], supplied: Supplied, family: Family) -> Measured:
    """Steps to the target from the smallest to the largest batch that reached it, in the first series
    with two such batches (the learning rate is no context: it may be tuned per batch), judged."""
    targeted = [r for r in results if spec_of(r).get("target_accuracy") is not None]
    unrated = ({**r, "spec": {k: v for k, v in spec_of(r).items() if k != "learning_rate"}} for r in targeted)
    for series in steps_to_target_series(unrated).values():
        reached = [(b, f) for b, f in series if f is not None]
        if len(reached) < 2:
            continue
        (b0, a), (b1, b) = reached[0], reached[-1]
        steps = READINGS["steps_to_target"]
        verdict = family.judge(a, b, steps)
        measured = (
            f"{question_of(targeted[0])}: steps to the target {interval_text(a, steps.fmt, log=True)} at batch {b0} → "
            f"{interval_text(b, steps.fmt, log=True)} at {b1} ({verdict.text()}); "
            f"perfect scaling would divide by {b1 / b0:g}"
        )
        return [(measured, direction(verdict, "fall"))]
    return []


def fitted_critical_batches(supplied: Supplied) -> list[inference.CriticalBatch]:
    """The critical batch fitted to each supplied steps-to-target series at a fixed rule (not tuned per batch)."""
    series = [s for t in supplied.targeted if not t.tuned for s in t.series().values()]
    return [found for s in series if (found := critical_batch.fit(s))]


def side_by_side(
    by_question: Mapping[str, list[Mapping[str, object]]],
    family: Family,
    *,
    declared: Sequence[tuple[str, Paper]],
    supplies: Mapping[str, Supplies],
) -> list[Row]:
    """Every row the run can fill, each paper's together, papers in the order their questions declare them.

    by_question: the ok results of each question. declared: (question, paper) of every question, in
    report order. supplies: what each question's results supply, in report order.
    """
    supplied = gather(by_question, supplies)
    rows = [
        Row(paper.paper, paper.published, measured, verdict)
        for question, paper in declared
        if by_question.get(question)
        for measured, verdict in paper.read(by_question[question], supplied, family)
    ]
    first = {paper: i for i, paper in reversed(list(enumerate(r.paper for r in rows)))}
    return sorted(rows, key=lambda r: first[r.paper])
