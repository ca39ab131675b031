"""Writes the report's "Findings": one sentence per question, stated from the numbers with intervals and tests.

A pure function of result dicts (RunResult.as_dict(), or pytest-benchmark's extra_info of a
saved run): no TensorFlow, no I/O. Only results with status ok count. Every comparison a
sentence makes is judged by bench_lib.analysis.family — real, same or undecided, by Welch's
test and TOST on the metric's scale, Holm-corrected over all the findings' comparisons — and
the findings end with the sentence that states that rule.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterable, Mapping

from bench_lib.analysis import glance, papers
from bench_lib.analysis.family import Family
from bench_lib.analysis.vocabulary import (
    READINGS,
    Figure,
    Reading,
    axes,
    budget,
    context_groups,
    figure,
    groups,
    interval_text,
    label,
    order,
    question_of,
    sentence_metric,
    spec_of,
    steps_to_target_series,
)
from bench_lib.analysis.xla import xla_dropout

# The metrics a question's sentence can follow (the Question's `metric`): every declared reading.
SENTENCE_METRICS = READINGS


def _change(words: str, a: Figure, b: Figure) -> str:
    direction = "rises" if b.mean > a.mean else "falls" if b.mean < a.mean else "stays"
    return f"{words} {direction} from"


def clause(group: list[Mapping[str, object]], axis: str, reading: Reading, family: Family) -> str | None:
    """How the reading's metric moves from the first to the last configuration along the axis, judged."""
    points = [(spec_of(r).get(axis), figure(r, reading.key)) for r in group]
    points = sorted(((v, f) for v, f in points if f is not None), key=lambda p: order(p[0]))
    if len(points) < 2:
        return None
    (v1, a), (v2, b) = points[0], points[-1]
    log = reading.margin.scale == "ratio"
    return (
        f"{_change(reading.words, a, b)} {interval_text(a, reading.fmt, log=log)} at {label(axis, v1)} to "
        f"{interval_text(b, reading.fmt, log=log)} at {label(axis, v2)} ({family.judge(a, b, reading).text()})"
    )


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


def _recovery(small: Figure, fixed: Figure, scaled: Figure) -> str:
    drop = small.mean - fixed.mean
    if drop <= 0:
        return "there was no drop to recover"
    return f"recovering {100 * (scaled.mean - fixed.mean) / drop:.0f}% of the drop"


def lr_scaling(results: list[Mapping[str, object]], metric: str, *, family: Family | None = None) -> list[str]:
    """Fixed against scaled learning rate at the largest batch, and how much of the drop scaling recovers."""
    family = family if family is not None else Family()
    accuracy = READINGS["test_accuracy"]
    own = {"global_batch_size", "lr_scaling", "warmup_epochs", "base_batch_size"}
    measured = [r for r in results if figure(r, "test_accuracy") is not None]
    clauses = []
    for name, group in context_groups(measured, own).items():
        fixed = sorted(
            (r for r in group if spec_of(r).get("lr_scaling") == "none"), key=lambda r: spec_of(r)["global_batch_size"]
        )
        if len(fixed) < 2 or spec_of(fixed[0])["global_batch_size"] == spec_of(fixed[-1])["global_batch_size"]:
            continue
        small, large = fixed[0], fixed[-1]
        s0, s1 = figure(small, "test_accuracy"), figure(large, "test_accuracy")
        big = spec_of(large)["global_batch_size"]
        parts = [
            f"with a fixed learning rate test accuracy {_change('', s0, s1).strip()} {interval_text(s0, '.3f')} at "
            f"batch {spec_of(small)['global_batch_size']} to {interval_text(s1, '.3f')} at batch {big} "
            f"({family.judge(s0, s1, accuracy).text()})"
        ]
        for r in group:
            spec = spec_of(r)
            if spec.get("lr_scaling") == "none" or spec["global_batch_size"] != big:
                continue
            f = figure(r, "test_accuracy")
            epochs = spec.get("warmup_epochs")
            warmup = f", warm-up {epochs:g} epoch{'s' if epochs != 1 else ''}" if epochs else ""
            parts.append(
                f"{spec['lr_scaling']} scaling{warmup} gives {interval_text(f, '.3f')} at batch {big} "
                f"({family.judge(s1, f, accuracy).text()} against fixed), {_recovery(s0, s1, f)}"
            )
        clauses.append((f"{name}: " if name else "") + "; ".join(parts))
    if not clauses:
        return [generic("lr_scaling", results, metric, family=family)]
    sentences = [f"lr_scaling ({budget(spec_of(results[0]))}): " + "; ".join(clauses) + "."]
    fixed_lr = [r for r in results if spec_of(r).get("lr_scaling") == "none"]
    return sentences + generalization(fixed_lr, family=family)


def generalization(results: list[Mapping[str, object]], *, family: Family | None = None) -> list[str]:
    """The generalization gap along the batch size, fixed learning rate (sharpness: see convergence.py)."""
    family = family if family is not None else Family()
    clauses = []
    for name, group in context_groups(results, {"global_batch_size"}).items():
        text = clause(group, "global_batch_size", READINGS["generalization_gap_accuracy"], family)
        if text:
            clauses.append((f"{name}: " if name else "") + text)
    if not clauses:
        return []
    return [f"generalization ({budget(spec_of(results[0]))}, fixed learning rate): " + "; ".join(clauses) + "."]


def _times(a: float, b: float) -> str:
    return f"{a / b:.1f}×"


def _grid_step(p: tuple[int, Figure], q: tuple[int, Figure]) -> str:
    """e.g. 'batch 64→256: steps ÷3.7 (perfect ÷4.0)' — perfect scaling divides steps by the batch ratio."""
    return f"batch {p[0]}→{q[0]}: steps ÷{p[1].mean / q[1].mean:.1f} (perfect ÷{q[0] / p[0]:.1f})"


def _series_parts(reached: list[tuple[int, Figure]], missed: list[int], family: Family) -> list[str]:
    parts = []
    if len(reached) >= 2:
        (b0, f0), (b1, f1) = reached[0], reached[-1]
        verdict = family.judge(f0, f1, READINGS["steps_to_target"]).text()
        parts.append(
            f"steps to the target fall from {interval_text(f0, ',.0f', log=True)} at batch {b0} to "
            f"{interval_text(f1, ',.0f', log=True)} at batch {b1} ({verdict}): a {_times(b1, b0)} larger batch needs "
            f"{_times(f0.mean, f1.mean)} fewer steps, where perfect scaling would give {_times(b1, b0)}"
        )
        if len(reached) > 2:
            parts.append("step by step " + ", ".join(_grid_step(p, q) for p, q in itertools.pairwise(reached)))
    elif reached:
        parts.append(f"reached only at batch {reached[0][0]}, in {interval_text(reached[0][1], ',.0f')} steps")
    if missed:
        parts.append("not reached at batch " + ", ".join(map(str, missed)) + " within the budget")
    return parts


def time_to_accuracy(results: list[Mapping[str, object]], metric: str, *, family: Family | None = None) -> list[str]:
    """Steps to the target along the batch size, judged, against perfect scaling, and where it was not reached."""
    family = family if family is not None else Family()
    targeted = [r for r in results if spec_of(r).get("target_accuracy") is not None]
    if not targeted:
        return [generic("time_to_accuracy", results, metric, family=family)]
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


def noise_scale(results: list[Mapping[str, object]], metric: str, *, family: Family | None = None) -> list[str]:
    """The measured simple noise scale B_simple, i.e. the critical batch size it predicts, per configuration."""
    parts = []
    for r in results:
        f = figure(r, "noise_scale")
        if f is not None:
            spec = spec_of(r)
            parts.append(f"{interval_text(f, ',.0f')} for {spec.get('model')} at batch {spec.get('global_batch_size')}")
    if not parts:
        return ["noise_scale: no configuration measured a noise scale."]
    return [
        "noise_scale: the simple noise scale B_simple (the critical batch size it predicts) is "
        + "; ".join(parts)
        + "."
    ]


def throughput(results: list[Mapping[str, object]], metric: str, *, family: Family | None = None) -> list[str]:
    """The generic sentence, then XLA's effect with and without Dropout where the grid measured it."""
    return [generic("throughput", results, metric, family=family), *xla_dropout(results)]


def _hardware_row(result: Mapping[str, object]) -> str:
    """e.g. 'resnet50 at batch 4 on one_device: 2.0 examples/s, MFU 0.62'; a mixed precision is named, with the
    peak its MFU is against ('... in mixed_bfloat16: ..., MFU 0.13 of the bfloat16 peak')."""
    spec = spec_of(result)
    precision = spec.get("precision", "float32")
    mixed = precision != "float32"
    return (
        f"{spec['model']} at batch {spec['global_batch_size']} on {spec['strategy']}"
        f"{f' in {precision}' if mixed else ''}: {result['examples_per_sec']:,.1f} examples/s, MFU {result['mfu']:.2f}"
        + (f" of the {result.get('peak_precision') or 'float32'} peak" if mixed else "")
    )


def models(results: list[Mapping[str, object]], metric: str, *, family: Family | None = None) -> list[str]:
    """Every configuration's examples/s and MFU, highest MFU first; then the generic sentence where a family has two."""
    measured = [r for r in results if r.get("mfu") is not None and r.get("examples_per_sec") is not None]
    rows = [_hardware_row(r) for r in sorted(measured, key=lambda r: -float(r["mfu"]))]
    sentences = [f"models (steady steps, synthetic data), by MFU: {'; '.join(rows)}."] if rows else []
    pairs = generic("models", results, metric, family=family)
    return sentences + ([] if "no two configurations" in pairs or "one configuration only" in pairs else [pairs])


Rules = Mapping[str, Callable[..., list[str]]]


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


def papers_side_by_side(results: Iterable[Mapping[str, object]], *, family: Family) -> list[papers.Row]:
    """The papers side by side (bench_lib.analysis.papers) of these results, judged with their findings' family."""
    return papers.side_by_side(ok_by_question(_by_question(results)), family)


def _takes_family(rule: Callable[..., list[str]]) -> bool:
    """Whether a question's rule takes the run's family (family=...); a rule that does not judges nothing."""
    parameters = inspect.signature(rule).parameters.values()
    return any(p.name == "family" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def judged_family(
    results: Iterable[Mapping[str, object]], *, rules: Rules, glance_rules: Mapping[str, glance.Rule] | None = None
) -> Family:
    """Every comparison the findings, the at-a-glance rows and the papers side by side make, settled together.

    glance_rules: each question's at-a-glance rule (bench_lib.questions.glance_rules()), the rows that
    are judged with the findings; None gives every question the generic row.
    """
    results = list(results)
    family = Family()
    by_question = _by_question(results)
    _sentences(by_question, rules, family)
    glance.glance(results, rules=glance_rules or {}, family=family)
    papers.side_by_side(ok_by_question(by_question), family)
    family.settle()
    return family


def findings(
    results: Iterable[Mapping[str, object]],
    *,
    rules: Rules,
    family: Family | None = None,
    cross: Callable[[list[Mapping[str, object]]], list[str]] | None = None,
) -> list[str]:
    """One sentence per question (lr_scaling adds one on generalization), in the order questions first appear,
    then the critical batch beside the noise scale and the rule the verdicts were decided by.

    rules: a question's own sentences by question name (bench_lib.questions.findings_rules()), each
    called with its ok results, and family=... where it takes it (its comparisons are then judged
    with the run's); a question without one gets the generic sentence.
    family: the judged family of these results (judged_family); None judges them here.
    cross: the sentences questions declare across questions (bench_lib.questions.cross_findings).
    """
    results = list(results)
    family = family if family is not None else judged_family(results, rules=rules)
    sentences = _sentences(_by_question(results), rules, family) + (cross(results) if cross else [])
    return sentences + ([family.rule_text()] if len(family) else [])
