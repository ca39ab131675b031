"""The question registry: everything one question of the suite is, shows and says, found by listing this package.

Every other module of this package declares one question as its QUESTION; nothing lists them by
hand, and no code outside this package (and the question's benchmark module) names a question.
The suite's profiles take their sizes and options from here, the report its titles, order,
columns, extra tables, saved entries and findings, the findings at a glance their rows, the
papers side by side the papers each question reproduces, the sentences across questions what
each question supplies to the others, the machines command the tables it shows, the
result-keys reference the keys a question saves, and the manual its question pages.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path

from bench_lib.analysis import findings, glance, papers
from bench_lib.analysis.family import Family
from bench_lib.analysis.papers import Paper
from bench_lib.analysis.supplied import Supplied, Supplies, gather
from bench_lib.config.registry import Registry
from bench_lib.record import metrics
from bench_lib.record.metrics import ResultKey

# (header, result key, format): a format string for format(), or a function of the value.
Column = tuple[str, str, str | Callable[[object], str]]
# A question's own findings: its ok results and its metric in (and the run's family of judged
# comparisons as family=..., bench_lib.analysis.family), its sentences out.
FindingsRule = Callable[[list[Mapping[str, object]], str], list[str]]
# Sentences across questions: what the run's questions supply (bench_lib.analysis.supplied) in; sentences out.
CrossFindingsRule = Callable[[Supplied], list[str]]
# A question's row of the findings at a glance: its name and ok results in, a row (or None) out.
GlanceRule = Callable[[str, list[Mapping[str, object]]], "glance.Glance | None"]

PROFILE_NAMES = ("quick", "full", "nightly")
# A profile whose sizes a question may leave undeclared, and the profile whose sizes it then takes.
SIZES_DEFAULT_FROM = {"nightly": "quick"}
NOTHING_SUPPLIED = Supplies()


@dataclass(frozen=True, kw_only=True)
class ExtraTable:
    """A table a question shows below its runs: in the suite's summary over all its results, and in a
    report over the results that have the `row_key` figure (runs saved without it show no table)."""

    title: str
    columns: tuple[Column, ...]
    row_key: str


@dataclass(frozen=True, kw_only=True)
class RowsTable:
    """A table of plain rows (dicts) a question makes from what it saved: title, columns, rows."""

    title: str
    columns: tuple[Column, ...]
    rows: list[Mapping[str, object]]


# A question's tables from the entries it saved beside its results: (entries, every result of
# the run, the network between the run's workers) in, tables out.
SavedTables = Callable[[Sequence[Mapping[str, object]], list[Mapping[str, object]], str], list[RowsTable]]


@dataclass(frozen=True, kw_only=True)
class SizeOption:
    """A --bench-* option that sets one field of the question's sizes in the chosen profile.

    parse: the option's text in, the field's value out; raises ValueError saying what is allowed.
    """

    name: str
    help: str
    field: str
    parse: Callable[[str], object]

    def __post_init__(self) -> None:
        if not re.fullmatch(r"--bench-[a-z0-9-]+", self.name):
            raise ValueError(f"option name={self.name!r} is not allowed: --bench- then lower-case words and -")


@dataclass(frozen=True, kw_only=True)
class Page:
    """The question's page of the manual (docs/questions/<path>) and its row in the question tables.

    nav: its title in the manual's navigation. asks: the question in one sentence.
    quick_grid: what the quick profile runs, in words.
    """

    path: str
    nav: str
    asks: str
    quick_grid: str


@dataclass(frozen=True, kw_only=True)
class Question:
    """One question of the suite; everything but name, title and order has a default that does nothing.

    name: the benchmark function's name without `test_`; saved results carry it.
    title: the heading of its report section. order: sections and summaries sort by it.
    quick, full: the sizes only this question uses (a frozen dataclass of its module), per profile;
      None for a question whose grid needs nothing beyond the profile's shared sizes.
    nightly: its sizes in the nightly (regression-tracking) profile, of the same dataclass as quick's;
      None: its quick sizes.
    options: --bench-* options that set one of its sizes.
    follows: (option, size field) pairs: a shared option of the suite (e.g. --bench-epochs) that also
      sets one of its sizes.
    check: checks its sizes in the chosen profile before TensorFlow starts: called with its sizes and
      the profile's spec(**fields), it raises ValueError naming what is not allowed.
    columns: figures its results have beyond the common table's, shown where a result has them.
    metric: the result key its findings follow: a metric with words (bench_lib.record.metrics).
    findings: its own sentences for the report's findings; None gives the generic sentence.
    supplies: what its results hand to other questions' sentences and papers rows (steps-to-target
      series, a noise-scale estimate); by default nothing.
    cross_findings: sentences that set its results beside what other questions supply (it owns them).
    papers: the published effects it reproduces, each a row of the papers side by side.
    glance: its row of the findings at a glance; None: the generic row along its first axis.
    table: an extra table of its results, e.g. the harness ratios.
    model_summary: its report also draws examples/s and MFU by model (bench_lib.render.plots.model_figure).
    machine_tables: the machines command shows its tables beside each machine's facts (a hardware table).
    saved_keys: the keys of an entry it saves in place of a training result (a search, a sweep);
      the reader of saved runs keeps such entries apart (bench_lib.record.history.SavedRun.extras).
    saved_tables: the tables of its report section made from those entries.
    saved_facts: a (label, text) line of the report's facts per saved entry.
    result_keys: the keys its results (or saved entries) have that no metric declares, for the reference.
    page: its page of the manual; None for a question a sibling's page covers.
    quick_until_decided: the quick profile also adds seeds to its undecided comparisons (the full
      profile adds them to every question's): for a headline answer whose seeds cost little.

    Raises:
      ValueError: a field is not allowed, naming it.
    """

    name: str
    title: str
    order: int
    quick: object = None
    full: object = None
    nightly: object = None
    options: tuple[SizeOption, ...] = ()
    follows: tuple[tuple[str, str], ...] = ()
    check: Callable[[object, Callable[..., object]], None] | None = None
    columns: tuple[Column, ...] = ()
    metric: str = "test_accuracy"
    findings: FindingsRule | None = None
    supplies: Supplies = NOTHING_SUPPLIED
    cross_findings: CrossFindingsRule | None = None
    papers: tuple[Paper, ...] = ()
    glance: GlanceRule | None = None
    table: ExtraTable | None = None
    model_summary: bool = False
    machine_tables: bool = False
    quick_until_decided: bool = False
    saved_keys: frozenset[str] = frozenset()
    saved_tables: SavedTables | None = None
    saved_facts: Callable[[Mapping[str, object]], tuple[str, str]] | None = None
    result_keys: tuple[ResultKey, ...] = ()
    page: Page | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"name={self.name!r} is not allowed: lower-case letters, digits and _")
        if (self.quick is None) != (self.full is None):
            raise ValueError(f"{self.name}: quick and full sizes are given together or not at all")
        if self.nightly is not None and self.quick is None:
            raise ValueError(f"{self.name}: nightly sizes are given with quick and full sizes or not at all")
        if self.nightly is not None and type(self.nightly) is not type(self.quick):
            raise ValueError(
                f"{self.name}: nightly={type(self.nightly).__name__} is not allowed: "
                f"sizes of the same kind as its quick sizes ({type(self.quick).__name__})"
            )
        if self.metric not in metrics.sentence_metrics():
            allowed = ", ".join(metrics.sentence_metrics())
            raise ValueError(f"{self.name}: metric={self.metric!r} is not allowed: use one of {allowed}")
        sized = {f.name for f in fields(self.quick)} if is_dataclass(self.quick) else set()
        for name, field in [(o.name, o.field) for o in self.options] + list(self.follows):
            if field not in sized:
                raise ValueError(
                    f"{self.name}: option {name} field={field!r} is not allowed: "
                    f"a field of its sizes ({', '.join(sorted(sized)) or 'it has none'})"
                )

    def sizes(self, profile: str) -> object:
        """Its sizes in the profile of that name: those it declares, else those of SIZES_DEFAULT_FROM's profile.

        Raises:
          ValueError: the profile is not one of PROFILE_NAMES.
        """
        if profile not in PROFILE_NAMES:
            raise ValueError(f"profile={profile!r} is not allowed: choose one of {', '.join(PROFILE_NAMES)}")
        own = getattr(self, profile)
        if own is None and profile in SIZES_DEFAULT_FROM:
            return self.sizes(SIZES_DEFAULT_FROM[profile])
        return own

    def saved(self, extras: Mapping[str, Sequence[Mapping[str, object]]]) -> list[Mapping[str, object]]:
        """Its entries among a saved run's extras (SavedRun.extras): those that have all its saved_keys."""
        if not self.saved_keys:
            return []
        return [entry for entry in extras.get(self.name, ()) if self.saved_keys <= entry.keys()]


def _built_in() -> Iterator[Question]:
    """The QUESTION of every other module of this package (modules starting with _ are helpers)."""
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name != "registry" and not module.name.startswith("_"):
            yield importlib.import_module(f"{__package__}.{module.name}").QUESTION


QUESTIONS: Registry[Question] = Registry("question", built_in=_built_in)


def register(question: Question) -> Question:
    """Adds a question for good; the package's own modules need not, they are found by listing it.

    Raises:
      ValueError: a question of that name is registered already.
    """
    return QUESTIONS.register(question)


def all_questions() -> list[Question]:
    """Every question, in report order."""
    return sorted(QUESTIONS, key=lambda q: (q.order, q.name))


def question(name: str) -> Question:
    """The question of that name.

    Raises:
      ValueError: no question has that name (the message lists those that do).
    """
    if name not in QUESTIONS:
        raise ValueError(
            f"question={name!r} is not allowed: choose one of {', '.join(q.name for q in all_questions())}"
        )
    return QUESTIONS.get(name)


def find(name: str) -> Question | None:
    """The question of that name, or None: saved runs may hold questions this version does not have."""
    return QUESTIONS.find(name)


def profile_sizes(profile: str) -> dict[str, object]:
    """Every question's sizes in that profile, by question name (questions without sizes left out)."""
    return {q.name: q.sizes(profile) for q in all_questions() if q.quick is not None}


def declaring_sizes(profile: str) -> tuple[str, ...]:
    """The questions that declare their own sizes for that profile, in report order (the others take
    SIZES_DEFAULT_FROM's, or have none)."""
    return tuple(q.name for q in all_questions() if getattr(q, profile) is not None)


def size_options() -> list[tuple[str, SizeOption]]:
    """Every question's --bench-* options, with the question's name, in report order."""
    return [(q.name, option) for q in all_questions() for option in q.options]


def followers() -> list[tuple[str, str, str]]:
    """(question, shared option, its size field) for every shared option a question follows, in report order."""
    return [(q.name, name, field) for q in all_questions() for name, field in q.follows]


def check_sizes(sizes_of: Callable[[str], object], spec: Callable[..., object]) -> None:
    """Runs every question's check on its sizes in a profile (sizes_of(name)) with the profile's spec maker.

    Raises:
      ValueError: a question's sizes are not allowed (from its check).
    """
    for q in all_questions():
        if q.check is not None:
            q.check(sizes_of(q.name), spec)


def findings_rules() -> dict[str, Callable[[list[Mapping[str, object]]], list[str]]]:
    """Every question's findings on its metric, by question name: its own rule, else the generic sentence."""
    return {q.name: _rule(q) for q in all_questions()}


def _rule(question: Question) -> Callable[[list[Mapping[str, object]]], list[str]]:
    if question.findings is not None:
        return functools.partial(question.findings, metric=question.metric)
    return lambda results, **judged: [findings.generic(question.name, results, question.metric, **judged)]


def supplies() -> dict[str, Supplies]:
    """What every question's results supply to the others, by question name, in report order."""
    return {q.name: q.supplies for q in all_questions()}


def cross_findings(results: Sequence[Mapping[str, object]]) -> list[str]:
    """The sentences questions declare across questions, over the ok results, in report order."""
    by_question: dict[str, list[Mapping[str, object]]] = {}
    for r in results:
        if r.get("status") == "ok":
            by_question.setdefault(findings.question_of(r), []).append(r)
    supplied = gather(by_question, supplies())
    return [s for q in all_questions() if q.cross_findings is not None for s in q.cross_findings(supplied)]


def papers_side_by_side(by_question: Mapping[str, list[Mapping[str, object]]], family: Family) -> list[papers.Row]:
    """The rows of the papers every question declares, over each question's ok results, judged in the family."""
    declared = [(q.name, paper) for q in all_questions() for paper in q.papers]
    return papers.side_by_side(by_question, family, declared=declared, supplies=supplies())


def judged_family(results: Iterable[Mapping[str, object]]) -> Family:
    """The run's family: every comparison its findings, glance rows and papers side by side make, judged
    together under every question's declared rules. The suite's summary, the report and the manual all
    judge through this one call, so they print the same verdicts."""
    return findings.judged_family(
        results, rules=findings_rules(), glance_rules=glance_rules(), papers=papers_side_by_side
    )


def quick_until_decided() -> tuple[str, ...]:
    """The questions whose comparisons get seeds until decided in the quick profile, in report order."""
    return tuple(q.name for q in all_questions() if q.quick_until_decided)


def machine_table_questions() -> list[str]:
    """The questions whose tables the machines command shows beside each machine's facts, in report order."""
    return [q.name for q in all_questions() if q.machine_tables]


def glance_rules() -> dict[str, GlanceRule]:
    """Every question's row rule of the findings at a glance, by question name (the generic one where it has none)."""
    return {q.name: q.glance or glance.compared for q in all_questions()}


def result_keys() -> list[tuple[str, ResultKey]]:
    """The result keys questions declare, with the question's name, in report order."""
    return [(q.name, key) for q in all_questions() for key in q.result_keys]
