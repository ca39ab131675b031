"""Provides what questions hand to one another: steps-to-target series and noise-scale estimates, by declaration.

A question declares what its results supply (`Supplies`, on its registry entry); the sentences and
papers rows that set one question's results beside another's read them from `Supplied`, gathered
from a run's ok results, and never look a question up by name. Pure: no TensorFlow, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bench_lib.analysis import tuning
from bench_lib.analysis.vocabulary import Figure, figure, spec_of, steps_to_target_series

Series = dict[str, list[tuple[int, Figure | None]]]


@dataclass(frozen=True, kw_only=True)
class Supplies:
    """What a question's results supply to other questions' sentences and papers rows; by default nothing.

    steps_to_target: its results with a target accuracy are steps-to-target series along the batch size.
    tuned: their learning rate is tuned per batch, so it is no context of the series.
    noise_scale: its results carry the probe's estimate B_simple (`noise_scale`).
    """

    steps_to_target: bool = False
    tuned: bool = False
    noise_scale: bool = False


@dataclass(frozen=True)
class Targeted:
    """One supplying question's ok results that have a target accuracy."""

    question: str
    tuned: bool
    results: list[Mapping[str, object]]

    def series(self) -> Series:
        """Its steps-to-target series by context; at each batch's own rate where the rate is tuned."""
        return tuning.tuning_series(self.results) if self.tuned else steps_to_target_series(self.results)


@dataclass(frozen=True)
class Supplied:
    """What a run's questions supply, in report order: their targeted results, and B_simple with its spec."""

    targeted: tuple[Targeted, ...] = ()
    estimates: tuple[tuple[Figure, Mapping[str, object]], ...] = ()


def gather(by_question: Mapping[str, list[Mapping[str, object]]], supplies: Mapping[str, Supplies]) -> Supplied:
    """What each question's ok results supply, by its declaration; supplies: every question's, in report order."""
    targeted, estimates = [], []
    for question, declared in supplies.items():
        results = by_question.get(question, [])
        if declared.steps_to_target:
            with_target = [r for r in results if spec_of(r).get("target_accuracy") is not None]
            targeted.append(Targeted(question, declared.tuned, with_target))
        if declared.noise_scale:
            estimates += [(f, spec_of(r)) for r in results if (f := figure(r, "noise_scale")) is not None]
    return Supplied(tuple(targeted), tuple(estimates))
