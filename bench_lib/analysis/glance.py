"""Provides the findings at a glance: per question one row — the answer in a sentence, its evidence, a verdict word.

A pure function of result dicts, like bench_lib.analysis.findings, whose long-form sentences
these rows lead. The answer compares the question's metric at the two ends of its axis (the
smallest and largest batch, accumulation, ...) in the first context (e.g. one_device); the
evidence gives both ends' means with their 95% intervals and n; the verdict word is the
comparison's decision (bench_lib.analysis.family), Holm-corrected with the findings':

- "real": Welch's test shows a difference;
- "same": TOST shows the difference inside the metric's equivalence margin (printed);
- "undecided": neither (or one seed, which gives no test).

Which row a question gets is its own declaration (bench_lib.questions, `glance`): `compared`
by default, with its own metric, axis or ignored field where it says so; `estimated` for a
question that measures one figure rather than a comparison ("estimate", or "one seed" without an
interval); `pointer` for one whose long form judges against targets. Nothing here names a question.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from bench_lib.analysis.family import Family, Verdict
from bench_lib.analysis.vocabulary import (
    READINGS,
    Figure,
    axes,
    figure,
    groups,
    interval_text,
    label,
    order,
    question_of,
    sentence_metric,
    spec_of,
)
from bench_lib.config.wording import count
from bench_lib.record import metrics

VERDICTS = ("real", "same", "undecided", "estimate", "one seed", "see below")


@dataclass(frozen=True)
class Glance:
    """One question at a glance."""

    question: str
    answer: str
    evidence: str
    verdict: str

    def as_row(self) -> tuple[str, str, str, str]:
        return (self.question, self.answer, self.evidence, self.verdict)


HEADER = ("question", "answer", "evidence (mean, 95% CI, n)", "verdict")


def _answer(words: str, a: Figure, b: Figure, ends: tuple[str, str], context: str, verdict: Verdict) -> str:
    where = f" ({context})" if context else ""
    if verdict.decision == "same":
        return (
            f"{words.capitalize()} is the same, within {verdict.reading.margin_text()}, "
            f"from {ends[0]} to {ends[1]}{where}."
        )
    direction = "rises" if b.mean > a.mean else "falls" if b.mean < a.mean else "stays level"
    hedge = "" if verdict.decision == "real" else f", undecided: {verdict.why_undecided()}"
    return f"{words.capitalize()} {direction} from {ends[0]} to {ends[1]}{where}{hedge}."


def compared(
    question: str,
    results: list[Mapping[str, object]],
    *,
    family: Family,
    metric: str | None = None,
    axis: str | None = None,
    ignore: tuple[str, ...] = (),
) -> Glance | None:
    """The row of a question that compares configurations along an axis; None with fewer than two ends.

    family: the run's judged comparisons (bench_lib.analysis.family), which decide the verdict word.
    metric: the result key the row follows (default: findings' generic one, test accuracy or, on
      synthetic data, examples/s). axis: the spec field along which it compares, where it varies
      (default: the first varying field). ignore: spec fields that vary without being a context
      (e.g. a learning rate tuned per batch).
    """
    if ignore:
        results = [{**r, "spec": {k: v for k, v in spec_of(r).items() if k not in ignore}} for r in results]
    varying = axes(results)
    if not varying:
        return None
    axis = axis if axis in varying else varying[0]
    context = [a for a in varying if a != axis]
    reading = READINGS[metric] if metric else sentence_metric("test_accuracy", results)
    key, words, fmt = reading.key, reading.words, reading.fmt
    found = groups(results, context)
    for name, group in found.items():
        points = [(spec_of(r).get(axis), figure(r, key)) for r in group]
        points = sorted(((v, f) for v, f in points if f is not None), key=lambda p: order(p[0]))
        if len(points) < 2:
            continue
        (v1, a), (v2, b) = points[0], points[-1]
        verdict = family.judge(a, b, reading)
        ends = (label(axis, v1), label(axis, v2))
        more = f"; {len(found) - 1} more context{'s' if len(found) > 2 else ''} below" if len(found) > 1 else ""
        log = reading.margin.scale == "ratio"
        evidence = (
            f"{interval_text(a, fmt, log=log)} → {interval_text(b, fmt, log=log)}, {_effect(a, b, verdict)}{more}"
        )
        # The group's label names the model, the strategy and what differs from most configurations;
        # a group of nothing but usual values is named by all its context fields.
        spec = spec_of(group[0])
        where = name or ", ".join(label(k, spec.get(k)) for k in context if k != "replicas")
        return Glance(question, _answer(words, a, b, ends, where, verdict), evidence, verdict.decision)
    return None


def estimated(
    question: str, results: list[Mapping[str, object]], *, key: str, words: str, family: Family | None = None
) -> Glance | None:
    """The row of a question that estimates one figure (a registered metric): its first configuration's value."""
    fmt = metrics.metric(key).sentence_format
    for r in results:
        f = figure(r, key)
        if f is not None:
            spec = spec_of(r)
            where = f"for {spec.get('model')} at batch {spec.get('global_batch_size')}"
            answer = f"{words} is about {format(f.mean, fmt)} {where}."
            return Glance(question, answer, interval_text(f, fmt), "estimate" if f.ci95 else "one seed")
    return None


def mfu_span(question: str, results: list[Mapping[str, object]], *, family: Family | None = None) -> Glance | None:
    """The row of a hardware table: the span of MFU and the configuration that reached most."""
    measured = [r for r in results if r.get("mfu") is not None]
    if not measured:
        return None
    best = max(measured, key=lambda r: float(r["mfu"]))
    spec = spec_of(best)
    mfu = metrics.metric("mfu")
    lowest = format(min(float(r["mfu"]) for r in measured), mfu.sentence_format)
    highest = format(float(best["mfu"]), mfu.sentence_format)
    answer = (
        f"{mfu.label} from {lowest} to {highest} over {count(len(measured), 'configuration')}; "
        "every family's examples/s in its findings."
    )
    evidence = f"highest: {spec.get('model')} at batch {spec.get('global_batch_size')}, {mfu.label} {highest}"
    return Glance(question, answer, evidence, "see below")


def pointer(question: str, results: list[Mapping[str, object]], *, answer: str, family: Family | None = None) -> Glance:
    """The row of a question whose long form judges against targets: a pointer to it."""
    return Glance(question, answer, "", "see below")


def _effect(a: Figure, b: Figure, verdict: Verdict) -> str:
    """e.g. 'Δ -0.450' or '×0.10' (the scale the comparison is made on)."""
    if verdict.reading.margin.scale == "ratio" and a.mean > 0:
        return f"×{b.mean / a.mean:.2g}"
    return f"Δ {format(b.mean - a.mean, '+' + verdict.reading.fmt)}"


# A question's row: its name and ok results in, with the run's judged family as family=...; a row or None out.
Rule = Callable[..., Glance | None]


def glance(
    results: Iterable[Mapping[str, object]], *, rules: Mapping[str, Rule], family: Family | None = None
) -> list[Glance]:
    """One row per question with an ok result, in the order questions first appear.

    rules: each question's row rule by question name (bench_lib.questions.glance_rules()); a
      question without one (from a run this version does not know) gets `compared`.
    family: the findings' judged family (bench_lib.analysis.findings.judged_family), so a row's word
      is the one its long-form sentence gives; None judges the rows as a family of their own.
    """
    results = list(results)
    if family is None:
        family = Family()
        _rows(results, rules, family)
        family.settle()
    return _rows(results, rules, family)


def _rows(results: list[Mapping[str, object]], rules: Mapping[str, Rule], family: Family) -> list[Glance]:
    by_question: dict[str, list[Mapping[str, object]]] = {}
    for r in results:
        if r.get("status") == "ok":
            by_question.setdefault(question_of(r), []).append(r)
    rows = []
    for question, ok in by_question.items():
        row = rules.get(question, compared)(question, ok, family=family)
        if row is not None:
            rows.append(row)
    return rows
