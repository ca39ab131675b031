"""Provides the papers side by side: each published batch-size effect our questions reproduce, beside ours.

Every row names a paper, the effect it reports (with its published figure where one exists), the
comparison of a saved run that tests it, and a verdict: "agrees", "disagrees" or "undecided",
read from the run's judged comparisons (bench_lib.analysis.family) — never from means alone. A
row whose question the run did not measure is left out. Pure: no TensorFlow, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bench_lib.analysis import critical_batch
from bench_lib.analysis.family import Family, Verdict
from bench_lib.analysis.vocabulary import (
    READINGS,
    Figure,
    context_groups,
    figure,
    interval_text,
    spec_of,
    steps_to_target_series,
)

VERDICTS = ("agrees", "disagrees", "undecided")


@dataclass(frozen=True)
class Row:
    """One published effect beside the run's measurement of it."""

    paper: str
    published: str
    measured: str
    verdict: str

    def as_row(self) -> tuple[str, str, str, str]:
        return (self.paper, self.published, self.measured, self.verdict)


def _ends(results: list[Mapping[str, object]], key: str) -> tuple[tuple[int, Figure], tuple[int, Figure]] | None:
    """(smallest batch, its figure), (largest batch, its figure) in the first context (e.g. one_device)."""
    group = next(iter(context_groups(results, {"global_batch_size", "learning_rate"}).values()), [])
    points = sorted(
        ((spec_of(r)["global_batch_size"], f) for r in group if (f := figure(r, key)) is not None),
        key=lambda p: p[0],
    )
    return (points[0], points[-1]) if len(points) >= 2 and points[0][0] != points[-1][0] else None


def _direction(verdict: Verdict, expected: str) -> str:
    """agrees / disagrees / undecided for an effect expected to be a 'fall', 'rise' or 'same'."""
    if verdict.decision == "undecided":
        return "undecided"
    if verdict.decision == "same":
        return "agrees" if expected == "same" else "disagrees"
    change = verdict.comparison.estimate < (1 if verdict.reading.margin.scale == "ratio" else 0)
    return "agrees" if ("fall" if change else "rise") == expected else "disagrees"


def _accuracy_row(
    results: list[Mapping[str, object]], family: Family, paper: str, published: str, expected: str
) -> Row | None:
    ends = _ends(results, "test_accuracy")
    if ends is None:
        return None
    (b0, a), (b1, b) = ends
    verdict = family.judge(a, b, READINGS["test_accuracy"])
    measured = f"{interval_text(a, '.3f')} at batch {b0} → {interval_text(b, '.3f')} at {b1} ({verdict.text()})"
    return Row(paper, published, measured, _direction(verdict, expected))


def keskar(by_question: Mapping[str, list], family: Family) -> list[Row]:
    published = (
        "a large batch loses test accuracy at a fixed budget (Table 2, MNIST F1, Adam: 98.03 ± 0.07% at a small "
        "batch, 97.81 ± 0.07% at a large one)"
    )
    rows = [_accuracy_row(by_question.get("batch_size", []), family, "Keskar et al. 2017", published, "fall")]
    rows.append(
        _accuracy_row(
            by_question.get("batch_size_equal_convergence", []),
            family,
            "Keskar et al. 2017",
            "the gap remains when both are trained to the same training accuracy (sharp minima)",
            "fall",
        )
    )
    return [r for r in rows if r]


def hoffer(by_question: Mapping[str, list], family: Family) -> list[Row]:
    row = _accuracy_row(
        by_question.get("batch_size_fixed_steps", []),
        family,
        "Hoffer et al. 2017",
        "the gap closes with as many updates: at a fixed number of steps a large batch is no worse",
        "rise",
    )
    if row and row.verdict == "disagrees" and "same:" in row.measured:
        row = Row(row.paper, row.published, row.measured, "agrees")  # no worse: the same also agrees
    return [row] if row else []


def masters_luschi(by_question: Mapping[str, list], family: Family) -> list[Row]:
    results = by_question.get("batch_size", [])
    ends = _ends(results, "test_accuracy")
    if ends is None:
        return []
    group = next(iter(context_groups(results, {"global_batch_size"}).values()))
    best = max(
        ((spec_of(r)["global_batch_size"], f) for r in group if (f := figure(r, "test_accuracy")) is not None),
        key=lambda p: p[1].mean,
    )
    (b0, a), (b1, b) = ends
    verdict = family.judge(a, b, READINGS["test_accuracy"])
    word = "undecided" if verdict.decision != "real" else "agrees" if best[0] <= 32 else "disagrees"
    measured = f"best mean at batch {best[0]}; batch {b0} against {b1}: {verdict.text()}"
    return [Row("Masters & Luschi 2018", "the best test accuracy at batch sizes 2–32", measured, word)]


def goyal(by_question: Mapping[str, list], family: Family) -> list[Row]:
    results = by_question.get("lr_scaling", [])
    fixed = [r for r in results if spec_of(r).get("lr_scaling") == "none"]
    ends = _ends(fixed, "test_accuracy")
    if ends is None:
        return []
    (b0, small), (b1, _) = ends
    rows = []
    for r in results:
        spec = spec_of(r)
        f = figure(r, "test_accuracy")
        if spec.get("lr_scaling") != "linear" or spec.get("global_batch_size") != b1 or f is None:
            continue
        verdict = family.judge(small, f, READINGS["test_accuracy"])
        warmup = "with" if spec.get("warmup_epochs") else "without"
        measured = (
            f"linear scaling {warmup} warm-up at batch {b1}: {interval_text(f, '.3f')} against "
            f"{interval_text(small, '.3f')} at batch {b0} ({verdict.text()})"
        )
        expected = "same" if spec.get("warmup_epochs") else "fall"
        rows.append(
            Row(
                "Goyal et al. 2017",
                "linear scaling with gradual warm-up matches the small-batch baseline; without warm-up it does not",
                measured,
                _direction(verdict, expected),
            )
        )
    return rows


def shallue(by_question: Mapping[str, list], family: Family) -> list[Row]:
    rows = []
    for question in ("lr_tuning", "time_to_accuracy"):
        targeted = [r for r in by_question.get(question, []) if spec_of(r).get("target_accuracy") is not None]
        for series in steps_to_target_series(
            {**r, "spec": {k: v for k, v in spec_of(r).items() if k != "learning_rate"}} for r in targeted
        ).values():
            reached = [(b, f) for b, f in series if f is not None]
            if len(reached) < 2:
                continue
            (b0, a), (b1, b) = reached[0], reached[-1]
            verdict = family.judge(a, b, READINGS["steps_to_target"])
            measured = (
                f"{question}: steps to the target {interval_text(a, ',.0f', log=True)} at batch {b0} → "
                f"{interval_text(b, ',.0f', log=True)} at {b1} ({verdict.text()}); "
                f"perfect scaling would divide by {b1 / b0:g}"
            )
            rows.append(
                Row(
                    "Shallue et al. 2019",
                    "steps to a goal fall with the batch: perfect scaling, then diminishing returns, then a plateau",
                    measured,
                    _direction(verdict, "fall"),
                )
            )
            break
    return rows


def mccandlish(by_question: Mapping[str, list], family: Family) -> list[Row]:
    probes = [f for r in by_question.get("noise_scale", []) if (f := figure(r, "noise_scale")) is not None]
    targeted = [r for r in by_question.get("time_to_accuracy", []) if spec_of(r).get("target_accuracy") is not None]
    fits = [found for s in steps_to_target_series(targeted).values() if (found := critical_batch.fit(s))]
    if not probes or not fits:
        return []
    b_simple, fitted = probes[0], fits[0]
    if fitted.ci95 is None:
        word = "undecided"
    else:
        word = "agrees" if fitted.ci95[0] <= b_simple.mean <= fitted.ci95[1] else "disagrees"
    measured = f"B_simple {interval_text(b_simple, ',.0f')} beside the fitted {critical_batch.fit_text(fitted)}"
    published = "B_simple predicts the critical batch B_crit (on MNIST they report B_simple near 900)"
    return [Row("McCandlish et al. 2018", published, measured, word)]


PAPERS: tuple[Callable[[Mapping[str, list], Family], list[Row]], ...] = (
    keskar,
    hoffer,
    masters_luschi,
    goyal,
    shallue,
    mccandlish,
)


def side_by_side(by_question: Mapping[str, list[Mapping[str, object]]], family: Family) -> list[Row]:
    """Every paper's rows the run can fill, in PAPERS' order; by_question: the ok results of each question."""
    return [row for paper in PAPERS for row in paper(by_question, family)]
