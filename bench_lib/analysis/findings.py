"""Writes the report's "Findings": one sentence per question, stated from the numbers with intervals.

A pure function of result dicts (RunResult.as_dict(), or pytest-benchmark's extra_info of a
saved run): no TensorFlow, no I/O. A result belongs to the question in its "question" key
(the suite's records and extra_info carry it), else its "group" (pytest-benchmark's, e.g.
"test_batch_size"), else "runs". Only results with status ok count.

A difference between two configurations is called real only when their 95% confidence
intervals (over seeds) do not overlap; overlapping intervals are "within noise", and a figure
from one seed has no interval, so its differences are not called real.
"""

from __future__ import annotations

import importlib
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from bench_lib.analysis.xla import xla_dropout
from bench_lib.record import stats

# Spec fields that never define a configuration axis in a sentence.
_NOT_AXES = frozenset(
    {"seed", "seeds", "data_path", "warmup_steps", "target_check_steps", "sharpness_samples", "sharpness_epsilon"}
)
# When several fields vary, the first of these that varies is the axis; the rest are context.
_AXIS_ORDER = ("global_batch_size", "accumulation_steps", "model", "precision", "bn", "lr_scaling", "optimizer")


@dataclass(frozen=True)
class Figure:
    """A metric of one configuration: its mean over seeds, the 95% interval (None for one seed), n."""

    mean: float
    ci95: tuple[float, float] | None
    n: int


def figure(result: Mapping[str, object], metric: str) -> Figure | None:
    """The metric of a result dict, from seed_stats when several seeds measured it."""
    entry = (result.get("seed_stats") or {}).get(metric)
    if entry and entry.get("mean") is not None:
        ci = entry.get("ci95")
        return Figure(float(entry["mean"]), tuple(ci) if ci else None, int(entry["n"]))
    value = result.get(metric)
    return None if value is None else Figure(float(value), None, 1)


def verdict(a: Figure, b: Figure) -> str:
    """'real', 'within noise', or why neither can be said."""
    if a.ci95 is None or b.ci95 is None:
        return "not called real: one seed gives no interval"
    if stats.intervals_separate(a.ci95, b.ci95):
        return "real: the 95% intervals do not overlap"
    return "within noise: the 95% intervals overlap"


def _fmt(f: Figure, fmt: str) -> str:
    if f.ci95 is None:
        return f"{format(f.mean, fmt)} (n=1)"
    return f"{format(f.mean, fmt)} (95% CI {format(f.ci95[0], fmt)}–{format(f.ci95[1], fmt)}, n={f.n})"


def question_of(result: Mapping[str, object]) -> str:
    name = result.get("question") or result.get("group") or "runs"
    return str(name).removeprefix("test_")


def _spec(result: Mapping[str, object]) -> Mapping[str, object]:
    return result.get("spec") or {}


def _axes(results: list[Mapping[str, object]]) -> list[str]:
    """Spec fields whose value differs between the results, axis candidates first."""
    fields = {k for r in results for k in _spec(r) if k not in _NOT_AXES}
    varying = [k for k in sorted(fields) if len({repr(_spec(r).get(k)) for r in results}) > 1]
    return sorted(varying, key=lambda k: (_AXIS_ORDER.index(k) if k in _AXIS_ORDER else len(_AXIS_ORDER), k))


def _label(field: str, value: object) -> str:
    names = {"global_batch_size": "batch", "accumulation_steps": "accumulation", "lr_scaling": "LR scaling"}
    if field in names:
        return f"{names[field]} {value}"
    return str(value) if field in ("model", "strategy", "optimizer", "precision") else f"{field}={value}"


def _budget(spec: Mapping[str, object]) -> str:
    """e.g. 'at 5 epochs, adam' or 'at 200 steps, sgd'."""
    amount = f"{spec['steps']} steps" if spec.get("steps") else f"{spec.get('epochs')} epochs"
    return f"at {amount}, {spec.get('optimizer')}"


# The words and format of each metric a question's sentence can follow (the Question's `metric`).
SENTENCE_METRICS = {
    "test_accuracy": ("test accuracy", ".3f"),
    "examples_per_sec": ("examples/s", ",.0f"),
    "steps_to_target": ("steps to the target", ",.0f"),
}


def _metric(metric: str, results: list[Mapping[str, object]]) -> tuple[str, str, str]:
    """(result key, words, format) of the metric a sentence follows: throughput on synthetic data."""
    if all(_spec(r).get("dataset") == "synthetic" for r in results):
        metric = "examples_per_sec"
    return metric, *SENTENCE_METRICS[metric]


def _change(words: str, a: Figure, b: Figure) -> str:
    direction = "rises" if b.mean > a.mean else "falls" if b.mean < a.mean else "stays"
    return f"{words} {direction} from"


def _order(value: object) -> tuple[int, float | str]:
    """Numbers in order, then everything else by its text (None, strings, ...)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value))


def _clause(group: list[Mapping[str, object]], axis: str, metric: tuple[str, str, str]) -> str | None:
    key, words, fmt = metric
    points = [(_spec(r).get(axis), figure(r, key)) for r in group]
    points = [(v, f) for v, f in points if f is not None]
    if len(points) < 2:
        return None
    points.sort(key=lambda p: _order(p[0]))
    (v1, a), (v2, b) = points[0], points[-1]
    return (
        f"{_change(words, a, b)} {_fmt(a, fmt)} at {_label(axis, v1)} to {_fmt(b, fmt)} at {_label(axis, v2)} "
        f"({verdict(a, b)})"
    )


# Context fields a group's label always names; the others only where they differ from the usual value.
_NAMED_CONTEXT = ("model", "strategy")


def _groups(results: list[Mapping[str, object]], context: list[str]) -> dict[str, list[Mapping[str, object]]]:
    """Results by their context label, e.g. 'mlp, hidden_units=[512, 512], one_device'.

    A field other than model and strategy is named only where its value is not the one most
    configurations have (the throughput question's knobs vary one at a time from the defaults).
    """
    usual = {k: Counter(repr(_spec(r).get(k)) for r in results).most_common(1)[0][0] for k in context}
    groups: dict[str, list[Mapping[str, object]]] = {}
    for r in results:
        s = _spec(r)
        named = [k for k in context if k in _NAMED_CONTEXT or repr(s.get(k)) != usual[k]]
        label = ", ".join(_label(k, s.get(k)) for k in named if k != "replicas")
        if "replicas" in context and s.get("replicas", 1) > 1:
            label = label.replace(str(s.get("strategy")), f"{s.get('strategy')}{s.get('replicas')}", 1)
        groups.setdefault(label, []).append(r)
    return groups


def generic(question: str, results: list[Mapping[str, object]], metric: str = "test_accuracy") -> str:
    """One sentence: how the question's metric (a key of SENTENCE_METRICS) moves along its axis, per context."""
    axes = _axes(results)
    if not axes:
        return f"{question}: one configuration only, so nothing to compare."
    axis, context = axes[0], axes[1:]
    metric = _metric(metric, results)
    clauses = []
    for label, group in _groups(results, context).items():
        clause = _clause(group, axis, metric)
        if clause:
            clauses.append(f"{label}: {clause}" if label else clause)
    if not clauses:
        return f"{question}: no two configurations measured {metric[1]}."
    return f"{question} ({_budget(_spec(results[0]))}): " + "; ".join(clauses) + "."


def _context_groups(results: list[Mapping[str, object]], own: set[str]) -> dict[str, list[Mapping[str, object]]]:
    """Results grouped by every varying field except the question's own."""
    return _groups(results, [k for k in _axes(results) if k not in own])


def _recovery(small: Figure, fixed: Figure, scaled: Figure) -> str:
    drop = small.mean - fixed.mean
    if drop <= 0:
        return "there was no drop to recover"
    return f"recovering {100 * (scaled.mean - fixed.mean) / drop:.0f}% of the drop"


def lr_scaling(results: list[Mapping[str, object]], metric: str) -> list[str]:
    """Fixed against scaled learning rate at the largest batch, and how much of the drop scaling recovers."""
    own = {"global_batch_size", "lr_scaling", "warmup_epochs", "base_batch_size"}
    measured = [r for r in results if figure(r, "test_accuracy") is not None]
    clauses = []
    for label, group in _context_groups(measured, own).items():
        fixed = sorted(
            (r for r in group if _spec(r).get("lr_scaling") == "none"), key=lambda r: _spec(r)["global_batch_size"]
        )
        if len(fixed) < 2 or _spec(fixed[0])["global_batch_size"] == _spec(fixed[-1])["global_batch_size"]:
            continue
        small, large = fixed[0], fixed[-1]
        s0, s1 = figure(small, "test_accuracy"), figure(large, "test_accuracy")
        big = _spec(large)["global_batch_size"]
        parts = [
            f"with a fixed learning rate test accuracy {_change('', s0, s1).strip()} {_fmt(s0, '.3f')} at batch "
            f"{_spec(small)['global_batch_size']} to {_fmt(s1, '.3f')} at batch {big} ({verdict(s0, s1)})"
        ]
        for r in group:
            spec = _spec(r)
            if spec.get("lr_scaling") == "none" or spec["global_batch_size"] != big:
                continue
            f = figure(r, "test_accuracy")
            epochs = spec.get("warmup_epochs")
            warmup = f", warm-up {epochs:g} epoch{'s' if epochs != 1 else ''}" if epochs else ""
            parts.append(
                f"{spec['lr_scaling']} scaling{warmup} gives {_fmt(f, '.3f')} at batch {big} "
                f"({verdict(s1, f)} against fixed), {_recovery(s0, s1, f)}"
            )
        clauses.append((f"{label}: " if label else "") + "; ".join(parts))
    if not clauses:
        return [generic("lr_scaling", results, metric)]
    sentences = [f"lr_scaling ({_budget(_spec(results[0]))}): " + "; ".join(clauses) + "."]
    fixed_lr = [r for r in results if _spec(r).get("lr_scaling") == "none"]
    return sentences + generalization(fixed_lr)


def generalization(results: list[Mapping[str, object]]) -> list[str]:
    """The generalization gap along the batch size, fixed learning rate (sharpness: see convergence.py)."""
    metrics = [("generalization_gap_accuracy", "train − test accuracy", ".3f")]
    clauses = []
    for label, group in _context_groups(results, {"global_batch_size"}).items():
        for metric in metrics:
            clause = _clause(group, "global_batch_size", metric)
            if clause:
                clauses.append((f"{label}: " if label else "") + clause)
    if not clauses:
        return []
    return [f"generalization ({_budget(_spec(results[0]))}, fixed learning rate): " + "; ".join(clauses) + "."]


def _times(a: float, b: float) -> str:
    return f"{a / b:.1f}×"


def steps_to_target_series(
    results: Iterable[Mapping[str, object]],
) -> dict[str, list[tuple[int, Figure | None]]]:
    """Per context (e.g. 'LR scaling linear'), (global batch size, steps to target or None) by batch size.

    Only ok results with a target_accuracy count; None means the target was not reached.
    """
    results = [r for r in results if r.get("status") == "ok" and _spec(r).get("target_accuracy") is not None]
    return {
        label: sorted(
            ((_spec(r)["global_batch_size"], figure(r, "steps_to_target")) for r in group), key=lambda p: p[0]
        )
        for label, group in _context_groups(results, {"global_batch_size", "target_accuracy"}).items()
    }


def _grid_step(p: tuple[int, Figure], q: tuple[int, Figure]) -> str:
    """e.g. 'batch 64→256: steps ÷3.7 (perfect ÷4.0)' — perfect scaling divides steps by the batch ratio."""
    return f"batch {p[0]}→{q[0]}: steps ÷{p[1].mean / q[1].mean:.1f} (perfect ÷{q[0] / p[0]:.1f})"


def time_to_accuracy(results: list[Mapping[str, object]], metric: str) -> list[str]:
    """Steps to the target along the batch size, against perfect scaling, and where it was not reached."""
    targeted = [r for r in results if _spec(r).get("target_accuracy") is not None]
    if not targeted:
        return [generic("time_to_accuracy", results, metric)]
    clauses = []
    for label, reached in steps_to_target_series(targeted).items():
        missed = [b for b, f in reached if f is None]
        reached = [(b, f) for b, f in reached if f is not None]
        parts = []
        if len(reached) >= 2:
            (b0, f0), (b1, f1) = reached[0], reached[-1]
            parts.append(
                f"steps to the target fall from {_fmt(f0, ',.0f')} at batch {b0} to {_fmt(f1, ',.0f')} at batch "
                f"{b1} ({verdict(f0, f1)}): a {_times(b1, b0)} larger batch needs {_times(f0.mean, f1.mean)} fewer "
                f"steps, where perfect scaling would give {_times(b1, b0)}"
            )
            if len(reached) > 2:
                parts.append("step by step " + ", ".join(_grid_step(p, q) for p, q in itertools.pairwise(reached)))
        elif reached:
            parts.append(f"reached only at batch {reached[0][0]}, in {_fmt(reached[0][1], ',.0f')} steps")
        if missed:
            parts.append("not reached at batch " + ", ".join(map(str, missed)) + " within the budget")
        if parts:
            clauses.append((f"{label}: " if label else "") + "; ".join(parts))
    target = _spec(targeted[0])["target_accuracy"]
    budget = _budget(_spec(targeted[0])).removeprefix("at ")
    head = f"time_to_accuracy (test accuracy {target:g} within at most {budget})"
    return [f"{head}: " + ("; ".join(clauses) if clauses else "nothing to compare") + "."]


def noise_scale(results: list[Mapping[str, object]], metric: str) -> list[str]:
    """The measured simple noise scale B_simple, i.e. the critical batch size it predicts, per configuration."""
    parts = []
    for r in results:
        f = figure(r, "noise_scale")
        if f is not None:
            spec = _spec(r)
            parts.append(f"{_fmt(f, ',.0f')} for {spec.get('model')} at batch {spec.get('global_batch_size')}")
    if not parts:
        return ["noise_scale: no configuration measured a noise scale."]
    return [
        "noise_scale: the simple noise scale B_simple (the critical batch size it predicts) is "
        + "; ".join(parts)
        + "."
    ]


def knee(series: list[tuple[int, Figure | None]], efficiency: float = 0.5) -> int | None:
    """The batch after which doubling-style growth stops paying: the first batch b_i whose step to b_(i+1)
    divides the steps by less than `efficiency` × the perfect factor b_(i+1)/b_i. None without such a step."""
    reached = [(b, f) for b, f in series if f is not None]
    for (b0, f0), (b1, f1) in itertools.pairwise(reached):
        if (f0.mean / f1.mean) < efficiency * (b1 / b0):
            return b0
    return None


def noise_scale_beside_knee(by_question: Mapping[str, list[Mapping[str, object]]]) -> list[str]:
    """McCandlish et al.'s prediction next to the knee of the measured steps-to-target curve."""
    predicted = [f for r in by_question.get("noise_scale", []) if (f := figure(r, "noise_scale")) is not None]
    targeted = [r for r in by_question.get("time_to_accuracy", []) if _spec(r).get("target_accuracy") is not None]
    tuned = [r for r in by_question.get("lr_tuning", []) if _spec(r).get("target_accuracy") is not None]
    if not predicted or not (targeted or tuned):
        return []
    knees = {label: knee(series) for label, series in steps_to_target_series(targeted).items()}
    tuned_series = importlib.import_module("bench_lib.analysis.tuning").tuning_series(tuned)  # builds on this module
    knees |= {f"tuned {label}".strip(): knee(series) for label, series in tuned_series.items()}
    measured = "; ".join(
        (f"{label}: " if label else "") + (f"batch {k}" if k else "not within the grid") for label, k in knees.items()
    )
    low, high = min(f.mean for f in predicted), max(f.mean for f in predicted)
    span = f"{low:,.0f}" if round(low) == round(high) else f"{low:,.0f}–{high:,.0f}"
    return [
        f"noise scale beside the knee: B_simple predicts a critical batch near {span}; the measured knee of "
        f"steps-to-target (first batch step that divides the steps by less than half the perfect factor) is {measured}."
    ]


def throughput(results: list[Mapping[str, object]], metric: str) -> list[str]:
    """The generic sentence, then XLA's effect with and without Dropout where the grid measured it."""
    return [generic("throughput", results, metric), *xla_dropout(results)]


def _hardware_row(result: Mapping[str, object]) -> str:
    """e.g. 'resnet50 at batch 4 on one_device: 2.0 examples/s, MFU 0.62'; a mixed precision is named, with the
    peak its MFU is against ('... in mixed_bfloat16: ..., MFU 0.13 of the bfloat16 peak')."""
    spec = _spec(result)
    precision = spec.get("precision", "float32")
    mixed = precision != "float32"
    return (
        f"{spec['model']} at batch {spec['global_batch_size']} on {spec['strategy']}"
        f"{f' in {precision}' if mixed else ''}: {result['examples_per_sec']:,.1f} examples/s, MFU {result['mfu']:.2f}"
        + (f" of the {result.get('peak_precision') or 'float32'} peak" if mixed else "")
    )


def models(results: list[Mapping[str, object]], metric: str) -> list[str]:
    """Every configuration's examples/s and MFU, highest MFU first; then the generic sentence where a family has two."""
    measured = [r for r in results if r.get("mfu") is not None and r.get("examples_per_sec") is not None]
    rows = [_hardware_row(r) for r in sorted(measured, key=lambda r: -float(r["mfu"]))]
    sentences = [f"models (steady steps, synthetic data), by MFU: {'; '.join(rows)}."] if rows else []
    pairs = generic("models", results, metric)
    return sentences + ([] if "no two configurations" in pairs or "one configuration only" in pairs else [pairs])


def findings(results: Iterable[Mapping[str, object]], *, rules: Mapping[str, Callable[[list], list[str]]]) -> list[str]:
    """One sentence per question (lr_scaling adds one on generalization), in the order questions first appear.

    rules: a question's own sentences by question name (bench_lib.questions.findings_rules()); a
    question without one gets the generic sentence. Only results with status ok count.
    """
    by_question: dict[str, list[Mapping[str, object]]] = {}
    for r in results:
        by_question.setdefault(question_of(r), []).append(r)
    sentences = []
    for question, group in by_question.items():
        ok = [r for r in group if r.get("status") == "ok"]
        if not ok:
            sentences.append(f"{question}: no configuration finished ok.")
            continue
        rule = rules.get(question)
        sentences.extend(rule(ok) if rule else [generic(question, ok)])
    ok_by_question = {q: [r for r in g if r.get("status") == "ok"] for q, g in by_question.items()}
    return sentences + noise_scale_beside_knee(ok_by_question)
