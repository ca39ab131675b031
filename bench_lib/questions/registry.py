"""The question registry: what each question of the suite is called, shows and says, found by listing this package.

Every other module of this package declares one question as its QUESTION; nothing lists them by
hand. The suite's profiles take their sizes from here, the report its titles, order, columns and
extra tables, and the findings each question's own sentences.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bench_lib.analysis import findings

# (header, result key, format): a format string for format(), or a function of the value.
Column = tuple[str, str, str | Callable[[object], str]]
# A question's own findings: its ok results and its metric in (and the run's family of judged
# comparisons as family=..., bench_lib.analysis.family), its sentences out.
FindingsRule = Callable[[list[Mapping[str, object]], str], list[str]]

PROFILE_NAMES = ("quick", "full")


@dataclass(frozen=True, kw_only=True)
class ExtraTable:
    """A table a question shows below its runs: in the suite's summary over all its results, and in a
    report over the results that have the `row_key` figure (runs saved without it show no table)."""

    title: str
    columns: tuple[Column, ...]
    row_key: str


@dataclass(frozen=True, kw_only=True)
class Question:
    """One question of the suite.

    name: the benchmark function's name without `test_`; saved results carry it.
    title: the heading of its report section. order: sections and summaries sort by it.
    quick, full: the sizes only this question uses (a frozen dataclass of its module), per profile;
      None for a question whose grid needs nothing beyond the profile's shared sizes.
    columns: figures its results have beyond the common table's, shown where a result has them.
    metric: the result key its findings follow, one of bench_lib.analysis.findings.SENTENCE_METRICS.
    findings: its own sentences for the report's findings; None gives the generic sentence.
    table: an extra table of its results, e.g. the harness ratios.
    model_summary: its report also draws examples/s and MFU by model (bench_lib.render.plots.model_figure).
    """

    name: str
    title: str
    order: int
    quick: object = None
    full: object = None
    columns: tuple[Column, ...] = ()
    metric: str = "test_accuracy"
    findings: FindingsRule | None = None
    table: ExtraTable | None = None
    model_summary: bool = False

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"name={self.name!r} is not allowed: lower-case letters, digits and _")
        if (self.quick is None) != (self.full is None):
            raise ValueError(f"{self.name}: quick and full sizes are given together or not at all")
        if self.metric not in findings.SENTENCE_METRICS:
            allowed = ", ".join(findings.SENTENCE_METRICS)
            raise ValueError(f"{self.name}: metric={self.metric!r} is not allowed: use one of {allowed}")

    def sizes(self, profile: str) -> object:
        """Its sizes in the profile of that name.

        Raises:
          ValueError: the profile is not quick or full.
        """
        if profile not in PROFILE_NAMES:
            raise ValueError(f"profile={profile!r} is not allowed: choose one of {', '.join(PROFILE_NAMES)}")
        return self.quick if profile == "quick" else self.full


@functools.cache
def _registry() -> dict[str, Question]:
    """The QUESTION of every other module of this package, by name; read once, on first use."""
    found: dict[str, Question] = {}
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name != "registry":
            _add(found, importlib.import_module(f"{__package__}.{module.name}").QUESTION)
    return found


def _add(questions: dict[str, Question], question: Question) -> None:
    if question.name in questions:
        raise ValueError(f"name={question.name!r} is not allowed: a question of that name is registered already")
    questions[question.name] = question


def register(question: Question) -> Question:
    """Adds a question; the package's own modules need not, they are found by listing it. For tests.

    Raises:
      ValueError: a question of that name is registered already.
    """
    _add(_registry(), question)
    return question


def unregister(name: str) -> None:
    """Removes a question a test registered."""
    _registry().pop(name, None)


def all_questions() -> list[Question]:
    """Every question, in report order."""
    return sorted(_registry().values(), key=lambda q: (q.order, q.name))


def question(name: str) -> Question:
    """The question of that name.

    Raises:
      ValueError: no question has that name (the message lists those that do).
    """
    questions = _registry()
    if name not in questions:
        raise ValueError(
            f"question={name!r} is not allowed: choose one of {', '.join(q.name for q in all_questions())}"
        )
    return questions[name]


def find(name: str) -> Question | None:
    """The question of that name, or None: saved runs may hold questions this version does not have."""
    return _registry().get(name)


def profile_sizes(profile: str) -> dict[str, object]:
    """Every question's sizes in that profile, by question name (questions without sizes left out)."""
    return {q.name: q.sizes(profile) for q in all_questions() if q.quick is not None}


def findings_rules() -> dict[str, Callable[[list[Mapping[str, object]]], list[str]]]:
    """Every question's findings on its metric, by question name: its own rule, else the generic sentence."""
    return {q.name: _rule(q) for q in all_questions()}


def _rule(question: Question) -> Callable[[list[Mapping[str, object]]], list[str]]:
    if question.findings is not None:
        return functools.partial(question.findings, metric=question.metric)
    return lambda results, **judged: [findings.generic(question.name, results, question.metric, **judged)]
