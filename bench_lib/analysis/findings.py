"""Writes the report's "Findings": each question's sentences, stated from the numbers with intervals and tests.

The shared machinery only: the generic sentence and its clauses, and the findings of a run put
together from the rules each question declares beside its registry entry (bench_lib.questions),
which is where a question's own sentences live. Pure functions of result dicts
(RunResult.as_dict(), or pytest-benchmark's extra_info of a saved run): no TensorFlow, no I/O.
Only results with status ok count. Every comparison a sentence makes is judged by
bench_lib.analysis.family — real, same or undecided, by Welch's test and TOST on the metric's
scale, Holm-corrected over all the findings' comparisons — and the findings end with the
sentence that states that rule.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping

from bench_lib.analysis import glance
from bench_lib.analysis.family import Family
from bench_lib.analysis.papers import Row
from bench_lib.analysis.vocabulary import (
    Figure,
    Reading,
    axes,
    budget,
    figure,
    groups,
    interval_text,
    label,
    order,
    question_of,
    sentence_metric,
    spec_of,
)


def moves(words: str, a: Figure, b: Figure, start: str, end: str) -> str:
    """How a figure moves from a to b, after its words; start and end give each one's value and where it is.

    e.g. 'test accuracy falls from 0.910 (n=1) at batch 32 to 0.850 (n=1) at batch 512', or for
    equal means 'test accuracy stays level, 0.858 (n=1) at float32 and 0.858 (n=1) at mixed_float16'.
    """
    if b.mean == a.mean:
        return f"{words} stays level, {start} and {end}"
    return f"{words} {'rises' if b.mean > a.mean else 'falls'} from {start} to {end}"


def clause(group: list[Mapping[str, object]], axis: str, reading: Reading, family: Family) -> str | None:
    """How the reading's metric moves from the first to the last configuration along the axis, judged."""
    points = [(spec_of(r).get(axis), figure(r, reading.key)) for r in group]
    points = sorted(((v, f) for v, f in points if f is not None), key=lambda p: order(p[0]))
    if len(points) < 2:
        return None
    (v1, a), (v2, b) = points[0], points[-1]
    log = reading.margin.scale == "ratio"
    start = f"{interval_text(a, reading.fmt, log=log)} at {label(axis, v1)}"
    end = f"{interval_text(b, reading.fmt, log=log)} at {label(axis, v2)}"
    return f"{moves(reading.words, a, b, start, end)} ({family.judge(a, b, reading).text()})"


def generic(
    question: str, results: list[Mapping[str, object]], metric: str = "test_accuracy", *, family: Family | None = None
) -> str:
    """One sentence: how the question's metric (a key of READINGS) moves along its axis, per context."""
    family = family if family is not None else Family()
    found = axes(results)
    if not found:
        return f"{question}: one configuration only, so nothing to compare."
    axis, context = found[0], found[1:]
    reading = sentence_metric(metric, results)
    clauses = []
    for name, group in groups(results, context).items():
        text = clause(group, axis, reading, family)
        if text:
            clauses.append(f"{name}: {text}" if name else text)
    if not clauses:
        return f"{question}: no two configurations measured {reading.words}."
    return f"{question} ({budget(spec_of(results[0]))}): " + "; ".join(clauses) + "."


Rules = Mapping[str, Callable[..., list[str]]]
# The papers side by side the questions declare (bench_lib.questions.papers_side_by_side): each
# question's ok results and the run's family in, rows out.
PapersRule = Callable[[Mapping[str, list[Mapping[str, object]]], Family], list[Row]]


def _by_question(results: Iterable[Mapping[str, object]]) -> dict[str, list[Mapping[str, object]]]:
    found: dict[str, list[Mapping[str, object]]] = {}
    for r in results:
        found.setdefault(question_of(r), []).append(r)
    return found


def _sentences(by_question: Mapping[str, list[Mapping[str, object]]], rules: Rules, family: Family) -> list[str]:
    sentences = []
    for question, group in by_question.items():
        ok = [r for r in group if r.get("status") == "ok"]
        if not ok:
            sentences.append(f"{question}: no configuration finished ok.")
            continue
        rule = rules.get(question)
        if rule is None:
            sentences.append(generic(question, ok, family=family))
        else:
            sentences.extend(rule(ok, family=family) if _takes_family(rule) else rule(ok))
    return sentences


def ok_by_question(by_question: Mapping[str, list[Mapping[str, object]]]) -> dict[str, list[Mapping[str, object]]]:
    """Each question's results whose status is ok."""
    return {q: [r for r in g if r.get("status") == "ok"] for q, g in by_question.items()}


def papers_side_by_side(results: Iterable[Mapping[str, object]], *, family: Family, papers: PapersRule) -> list[Row]:
    """The papers side by side (bench_lib.analysis.papers) of these results, judged with their findings' family."""
    return papers(ok_by_question(_by_question(results)), family)


def _takes_family(rule: Callable[..., list[str]]) -> bool:
    """Whether a question's rule takes the run's family (family=...); a rule that does not judges nothing."""
    parameters = inspect.signature(rule).parameters.values()
    return any(p.name == "family" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def judged_family(
    results: Iterable[Mapping[str, object]],
    *,
    rules: Rules,
    glance_rules: Mapping[str, glance.Rule],
    papers: PapersRule | None,
) -> Family:
    """Every comparison the findings, the at-a-glance rows and the papers side by side make, settled together.

    glance_rules: each question's at-a-glance rule (bench_lib.questions.glance_rules()), the rows that
    are judged with the findings; a question without one gets the generic row.
    papers: the papers side by side the questions declare (bench_lib.questions.papers_side_by_side);
    None judges no papers row. Both are required, so no caller judges a different family by
    leaving them out: bench_lib.questions.judged_family passes every question's.
    """
    results = list(results)
    family = Family()
    by_question = _by_question(results)
    _sentences(by_question, rules, family)
    glance.glance(results, rules=glance_rules, family=family)
    if papers is not None:
        papers(ok_by_question(by_question), family)
    family.settle()
    return family


def findings(
    results: Iterable[Mapping[str, object]],
    *,
    rules: Rules,
    family: Family,
    cross: Callable[[list[Mapping[str, object]]], list[str]] | None = None,
) -> list[str]:
    """One sentence per question (or the several its own rule writes), in the order questions first appear,
    then the sentences across questions and the rule the verdicts were decided by.

    rules: a question's own sentences by question name (bench_lib.questions.findings_rules()), each
    called with its ok results, and family=... where it takes it (its comparisons are then judged
    with the run's); a question without one gets the generic sentence.
    family: the settled family of these results (bench_lib.questions.judged_family), so the findings
    are judged as the run's report and summary judge them.
    cross: the sentences questions declare across questions (bench_lib.questions.cross_findings).
    """
    results = list(results)
    sentences = _sentences(_by_question(results), rules, family) + (cross(results) if cross else [])
    return sentences + ([family.rule_text()] if len(family) else [])
