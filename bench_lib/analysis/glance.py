"""Provides the findings at a glance: per question one row — the answer in a sentence, its evidence, a verdict word.

A pure function of result dicts, like bench_lib.analysis.findings, whose long-form sentences
these rows lead. The answer compares the question's metric at the two ends of its axis (the
smallest and largest batch, accumulation, ...) in the first context (e.g. one_device); the
evidence gives both ends' means with their 95% intervals and n; the verdict word is findings'
rule in one word:

- "real": both ends have 95% intervals over seeds and they do not overlap;
- "within noise": the intervals overlap;
- "one seed": an end has no interval, so nothing can be called.

Which row a question gets is its own declaration (bench_lib.questions, `glance`): `compared`
by default, with its own metric, axis or ignored field where it says so; `estimated` for a
question that measures one figure rather than a comparison ("estimate", or "one seed" without an
interval); `pointer` for one whose long form judges against targets. Nothing here names a question.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from bench_lib.analysis import findings as long_form
from bench_lib.analysis.findings import Figure, figure, question_of
from bench_lib.config.plural import count
from bench_lib.record import metrics, stats

VERDICTS = ("real", "within noise", "one seed", "estimate", "see below")


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


def verdict_word(a: Figure, b: Figure) -> str:
    """findings.verdict in one word: real, within noise or one seed."""
    if a.ci95 is None or b.ci95 is None:
        return "one seed"
    return "real" if stats.intervals_separate(a.ci95, b.ci95) else "within noise"


def _interval(f: Figure, fmt: str) -> str:
    if f.ci95 is None:
        return f"{format(f.mean, fmt)} (n={f.n})"
    return f"{format(f.mean, fmt)} [{format(f.ci95[0], fmt)}, {format(f.ci95[1], fmt)}] (n={f.n})"


def _answer(words: str, a: Figure, b: Figure, ends: tuple[str, str], context: str, word: str) -> str:
    where = f" ({context})" if context else ""
    if word == "within noise":
        return f"{words.capitalize()} does not measurably change from {ends[0]} to {ends[1]}{where}."
    direction = "rises" if b.mean > a.mean else "falls" if b.mean < a.mean else "stays level"
    hedge = ", from one seed" if word == "one seed" else ""
    return f"{words.capitalize()} {direction} from {ends[0]} to {ends[1]}{where}{hedge}."


def _sentence_metric(key: str) -> tuple[str, str, str]:
    """(key, words, format) of a metric a row follows, from its registry entry."""
    entry = metrics.metric(key)
    return key, entry.words or entry.label, entry.fmt


def compared(
    question: str,
    results: list[Mapping[str, object]],
    *,
    metric: str | None = None,
    axis: str | None = None,
    ignore: tuple[str, ...] = (),
) -> Glance | None:
    """The row of a question that compares configurations along an axis; None with fewer than two ends.

    metric: the result key the row follows (default: findings' generic one, test accuracy or, on
      synthetic data, examples/s). axis: the spec field along which it compares, where it varies
      (default: the first varying field). ignore: spec fields that vary without being a context
      (e.g. a learning rate tuned per batch).
    """
    if ignore:
        results = [{**r, "spec": {k: v for k, v in long_form._spec(r).items() if k not in ignore}} for r in results]
    axes = long_form._axes(results)
    if not axes:
        return None
    axis = axis if axis in axes else axes[0]
    context = [a for a in axes if a != axis]
    key, words, fmt = _sentence_metric(metric) if metric else long_form._metric("test_accuracy", results)
    groups = long_form._groups(results, context)
    for label, group in groups.items():
        points = [(long_form._spec(r).get(axis), figure(r, key)) for r in group]
        points = sorted(((v, f) for v, f in points if f is not None), key=lambda p: long_form._order(p[0]))
        if len(points) < 2:
            continue
        (v1, a), (v2, b) = points[0], points[-1]
        word = verdict_word(a, b)
        ends = (long_form._label(axis, v1), long_form._label(axis, v2))
        more = f"; {len(groups) - 1} more context{'s' if len(groups) > 2 else ''} below" if len(groups) > 1 else ""
        evidence = f"{_interval(a, fmt)} → {_interval(b, fmt)}, Δ {format(b.mean - a.mean, '+' + fmt)}{more}"
        # The group's label names the model, the strategy and what differs from most configurations;
        # a group of nothing but usual values is named by all its context fields.
        spec = long_form._spec(group[0])
        where = label or ", ".join(long_form._label(k, spec.get(k)) for k in context if k != "replicas")
        return Glance(question, _answer(words, a, b, ends, where, word), evidence, word)
    return None


def estimated(question: str, results: list[Mapping[str, object]], *, key: str, words: str) -> Glance | None:
    """The row of a question that estimates one figure: its first configuration's value."""
    for r in results:
        f = figure(r, key)
        if f is not None:
            spec = long_form._spec(r)
            answer = f"{words} is about {f.mean:,.0f} for {spec.get('model')} at batch {spec.get('global_batch_size')}."
            return Glance(question, answer, _interval(f, ",.0f"), "estimate" if f.ci95 else "one seed")
    return None


def mfu_span(question: str, results: list[Mapping[str, object]]) -> Glance | None:
    """The row of a hardware table: the span of MFU and the configuration that reached most."""
    measured = [r for r in results if r.get("mfu") is not None]
    if not measured:
        return None
    best = max(measured, key=lambda r: float(r["mfu"]))
    spec = long_form._spec(best)
    lowest = min(float(r["mfu"]) for r in measured)
    answer = (
        f"MFU from {lowest:.2f} to {float(best['mfu']):.2f} over {count(len(measured), 'configuration')}; "
        "every family's examples/s in its findings."
    )
    evidence = f"highest: {spec.get('model')} at batch {spec.get('global_batch_size')}, MFU {float(best['mfu']):.2f}"
    return Glance(question, answer, evidence, "see below")


def pointer(question: str, results: list[Mapping[str, object]], *, answer: str) -> Glance:
    """The row of a question whose long form judges against targets: a pointer to it."""
    return Glance(question, answer, "", "see below")


Rule = Callable[[str, list[Mapping[str, object]]], Glance | None]


def glance(results: Iterable[Mapping[str, object]], *, rules: Mapping[str, Rule]) -> list[Glance]:
    """One row per question with an ok result, in the order questions first appear.

    rules: each question's row rule by question name (bench_lib.questions.glance_rules()); a
    question without one (from a run this version does not know) gets `compared`.
    """
    by_question: dict[str, list[Mapping[str, object]]] = {}
    for r in results:
        if r.get("status") == "ok":
            by_question.setdefault(question_of(r), []).append(r)
    rows = []
    for question, ok in by_question.items():
        row = rules.get(question, compared)(question, ok)
        if row is not None:
            rows.append(row)
    return rows
