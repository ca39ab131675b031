"""Provides the findings at a glance: per question one row — the answer in a sentence, its evidence, a verdict word.

A pure function of result dicts, like bench_lib.analysis.findings, whose long-form sentences
these rows lead. The answer compares the question's metric at the two ends of its axis (the
smallest and largest batch, accumulation, ...) in the first context (e.g. one_device); the
evidence gives both ends' means with their 95% intervals and n; the verdict word is the
comparison's decision (bench_lib.analysis.family), Holm-corrected with the findings':

- "real": Welch's test shows a difference;
- "same": TOST shows the difference inside the metric's equivalence margin (printed);
- "undecided": neither (or one seed, which gives no test).

A question that measures one figure rather than a comparison (the noise scale) gets "estimate"
("one seed" without an interval); one whose long form judges against targets (the harness)
points to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


# Questions whose row reads another metric than findings' generic one, and a spec field that
# differs between their configurations without being a context (lr_tuning tunes the rate per batch).
STEPS = READINGS["steps_to_target"]
OWN_METRIC = {"lr_tuning": STEPS, "time_to_accuracy": STEPS}
NOT_CONTEXT = {"lr_tuning": "learning_rate"}
# Questions whose axis is not the first varying field findings would take (batch-norm compares models).
OWN_AXIS = {"batchnorm": "model"}


def compared(question: str, results: list[Mapping[str, object]], family: Family) -> Glance | None:
    """The row of a question that compares configurations along an axis; None with fewer than two ends."""
    if question in NOT_CONTEXT:
        drop = NOT_CONTEXT[question]
        results = [{**r, "spec": {k: v for k, v in spec_of(r).items() if k != drop}} for r in results]
    varying = axes(results)
    if not varying:
        return None
    axis = OWN_AXIS.get(question) if OWN_AXIS.get(question) in varying else varying[0]
    context = [a for a in varying if a != axis]
    reading = OWN_METRIC.get(question) or sentence_metric("test_accuracy", results)
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


def estimated(question: str, results: list[Mapping[str, object]], key: str, words: str) -> Glance | None:
    """The row of a question that estimates one figure: its first configuration's value."""
    for r in results:
        f = figure(r, key)
        if f is not None:
            spec = spec_of(r)
            answer = f"{words} is about {f.mean:,.0f} for {spec.get('model')} at batch {spec.get('global_batch_size')}."
            return Glance(question, answer, interval_text(f, ",.0f"), "estimate" if f.ci95 else "one seed")
    return None


def hardware(question: str, results: list[Mapping[str, object]]) -> Glance | None:
    """The row of the hardware table (the models question): the span of MFU and the family that reached most."""
    measured = [r for r in results if r.get("mfu") is not None]
    if not measured:
        return None
    best = max(measured, key=lambda r: float(r["mfu"]))
    spec = spec_of(best)
    lowest = min(float(r["mfu"]) for r in measured)
    answer = (
        f"MFU from {lowest:.2f} to {float(best['mfu']):.2f} over {len(measured)} configurations; "
        "every family's examples/s in its findings."
    )
    evidence = f"highest: {spec.get('model')} at batch {spec.get('global_batch_size')}, MFU {float(best['mfu']):.2f}"
    return Glance(question, answer, evidence, "see below")


def _effect(a: Figure, b: Figure, verdict: Verdict) -> str:
    """e.g. 'Δ -0.450' or '×0.10' (the scale the comparison is made on)."""
    if verdict.reading.margin.scale == "ratio" and a.mean > 0:
        return f"×{b.mean / a.mean:.2g}"
    return f"Δ {format(b.mean - a.mean, '+' + verdict.reading.fmt)}"


def glance(results: Iterable[Mapping[str, object]], *, family: Family | None = None) -> list[Glance]:
    """One row per question with an ok result, in the order questions first appear.

    family: the findings' judged family (bench_lib.analysis.findings.judged_family), so a row's word
    is the one its long-form sentence gives; None judges the rows as a family of their own.
    """
    if family is None:
        family = Family()
        _rows(results := list(results), family)
        family.settle()
    return _rows(results, family)


def _rows(results: Iterable[Mapping[str, object]], family: Family) -> list[Glance]:
    by_question: dict[str, list[Mapping[str, object]]] = {}
    for r in results:
        if r.get("status") == "ok":
            by_question.setdefault(question_of(r), []).append(r)
    rows = []
    for question, ok in by_question.items():
        if question == "noise_scale":
            row = estimated(question, ok, "noise_scale", "The critical batch size B_simple predicts")
        elif question == "models":
            row = hardware(question, ok)
        elif question == "harness":
            row = Glance(question, "The suite's loop against the alternatives: see its findings.", "", "see below")
        else:
            row = compared(question, ok, family)
        if row is not None:
            rows.append(row)
    return rows
