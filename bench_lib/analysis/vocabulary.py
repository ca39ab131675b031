"""Provides the words findings are written in: a result's figures, question, axes, contexts and metric readings.

Pure functions of result dicts (RunResult.as_dict(), or pytest-benchmark's extra_info of a saved
run): no TensorFlow, no I/O. A result belongs to the question in its "question" key, else its
"group" (pytest-benchmark's, e.g. "test_batch_size"), else "runs".

READINGS is how a sentence reads each metric it compares: its words, its format and its
equivalence margin (the difference inside which two configurations are "the same"), all read from
the metric's entry in bench_lib.record.metrics.METRICS, where they are declared once.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from bench_lib.config.wording import count
from bench_lib.maths import stats
from bench_lib.maths.inference import Margin
from bench_lib.record import metrics, seeds


@dataclass(frozen=True)
class Reading:
    """How a finding reads a metric: words ("test accuracy"), format (".3f") and equivalence margin,
    those of its registry entry (bench_lib.record.metrics.Metric: words, sentence_format, margin)."""

    key: str
    words: str
    fmt: str
    margin: Margin

    def margin_text(self) -> str:
        """e.g. '±0.010' or '±20%'."""
        if self.margin.scale == "ratio":
            return f"±{self.margin.margin:.0%}"
        return f"±{format(self.margin.margin, self.fmt)}"


class _Readings(Mapping[str, Reading]):
    """The reading of every registered metric with words, by key, looked up in the registry when asked,
    so a metric registered later reads as the built-in ones do."""

    def __getitem__(self, key: str) -> Reading:
        entry = metrics.METRICS.find(key)
        if entry is None or entry.margin is None:
            raise KeyError(key)
        return Reading(entry.key, entry.words, entry.sentence_format, entry.margin)

    def __iter__(self) -> Iterator[str]:
        return iter(metrics.sentence_metrics())

    def __len__(self) -> int:
        return len(metrics.sentence_metrics())


READINGS: Mapping[str, Reading] = _Readings()


@dataclass(frozen=True)
class Figure:
    """A metric of one configuration: its mean, the 95% interval (None for one value), n, and the
    values it comes from (empty when the saved run kept only the mean), over seeds or timed rounds;
    until_decided: (values among its first seeds, cap) when the suite may add seeds to it until its
    comparisons are decided; source: (question, id) of the result it was read from (None for a
    figure derived from several), so two configurations with equal values stay two."""

    mean: float
    ci95: tuple[float, float] | None
    n: int
    values: tuple[float, ...] = ()
    over: str = "seeds"
    until_decided: tuple[int, int] | None = None
    source: tuple[str, str] | None = None


# A throughput figure of one seed is read over its timed rounds (result key "rounds_s", seconds).
TIMED = "examples_per_sec"


def figure(result: Mapping[str, object], metric: str) -> Figure | None:
    """The metric of a result dict: from seed_stats when several seeds measured it; examples/s of one
    seed from its timed rounds when the result carries them (rounds_s).

    Where the suite may add seeds to the result (its `seeds_until_decided` mark) and the metric is
    one added seeds join (bench_lib.record.seeds.EXTENDED), until_decided is (the values among the
    first seeds, the cap): a seed that never reached the target gives no value, and the looks count
    from the values the comparison started with."""
    source = (question_of(result), str(result.get("id")))
    entry = (result.get("seed_stats") or {}).get(metric)
    if entry and entry.get("mean") is not None:
        ci = entry.get("ci95")
        raw = list(entry.get("values") or ())
        values = tuple(float(v) for v in raw if v is not None)
        added = result.get("seeds_until_decided")  # bench_lib.suite.until_decided
        until = None
        if added and metric in seeds.EXTENDED:
            until = (sum(v is not None for v in raw[: int(added["first"])]), int(added["cap"]))
        return Figure(
            float(entry["mean"]), tuple(ci) if ci else None, int(entry["n"]), values, until_decided=until, source=source
        )
    value = result.get(metric)
    if value is None:
        return None
    rounds = [float(s) for s in result.get("rounds_s") or () if s and s > 0]
    if metric == TIMED and len(rounds) > 1:
        return _over_rounds(float(value), rounds, source)
    return Figure(float(value), None, 1, (float(value),), source=source)


def _over_rounds(examples_per_sec: float, rounds_s: list[float], source: tuple[str, str]) -> Figure:
    """examples/s in each timed round: every round trains the same examples, so its rate is the
    overall rate scaled by the mean round time over this round's time."""
    rates = tuple(examples_per_sec * stats.mean(rounds_s) / s for s in rounds_s)
    return Figure(examples_per_sec, stats.ci95(rates), len(rates), rates, over="rounds", source=source)


def interval_text(f: Figure, fmt: str, *, log: bool = False) -> str:
    """e.g. '0.910 [0.893, 0.927] (n=3)', '0.910 (n=1)' or '8,622 [8,100, 9,000] (n=8 rounds)'.

    log=True (a metric compared as a ratio) gives the seeds' geometric mean and its 95% interval,
    the t-interval of the mean log taken back: e.g. '85 [36, 200] (geometric mean, n=3)', never a
    negative count of steps."""
    if log and f.over == "seeds" and len(f.values) > 1 and min(f.values) > 0:
        logs = [math.log(v) for v in f.values]
        low, high = stats.ci95(logs)
        middle, low, high = (format(math.exp(v), fmt) for v in (stats.mean(logs), low, high))
        return f"{middle} [{low}, {high}] (geometric mean, n={len(f.values)})"
    n = f"n={f.n}" + (" rounds" if f.over == "rounds" else "")
    if f.ci95 is None:
        return f"{format(f.mean, fmt)} ({n})"
    return f"{format(f.mean, fmt)} [{format(f.ci95[0], fmt)}, {format(f.ci95[1], fmt)}] ({n})"


def question_of(result: Mapping[str, object]) -> str:
    name = result.get("question") or result.get("group") or "runs"
    return str(name).removeprefix("test_")


def spec_of(result: Mapping[str, object]) -> Mapping[str, object]:
    return result.get("spec") or {}


# Spec fields that never define a configuration axis in a sentence.
_NOT_AXES = frozenset(
    {"seed", "seeds", "data_path", "warmup_steps", "target_check_steps", "sharpness_samples", "sharpness_epsilon"}
)
# When several fields vary, the first of these that varies is the axis; the rest are context.
_AXIS_ORDER = ("global_batch_size", "accumulation_steps", "model", "precision", "bn", "lr_scaling", "optimizer")


def axes(results: list[Mapping[str, object]]) -> list[str]:
    """Spec fields whose value differs between the results, axis candidates first."""
    fields = {k for r in results for k in spec_of(r) if k not in _NOT_AXES}
    varying = [k for k in sorted(fields) if len({repr(spec_of(r).get(k)) for r in results}) > 1]
    return sorted(varying, key=lambda k: (_AXIS_ORDER.index(k) if k in _AXIS_ORDER else len(_AXIS_ORDER), k))


def label(field: str, value: object) -> str:
    """e.g. 'batch 32', 'mlp', 'bn=sync'."""
    names = {"global_batch_size": "batch", "accumulation_steps": "accumulation", "lr_scaling": "LR scaling"}
    if field in names:
        return f"{names[field]} {value}"
    return str(value) if field in ("model", "strategy", "optimizer", "precision") else f"{field}={value}"


def budget(spec: Mapping[str, object]) -> str:
    """e.g. 'at 5 epochs, adam', 'at 200 steps, sgd' or, for a configuration timed in blocks (whose
    timed_blocks replace its steps and epochs), 'at 8 timed blocks, adam'."""
    if spec.get("timed_blocks"):
        amount = count(int(spec["timed_blocks"]), "timed block")
    else:
        amount = f"{spec['steps']} steps" if spec.get("steps") else f"{spec.get('epochs')} epochs"
    return f"at {amount}, {spec.get('optimizer')}"


def order(value: object) -> tuple[int, float | str]:
    """Sort key: numbers in order, then everything else by its text (None, strings, ...)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value))


# Context fields a group's label always names; the others only where they differ from the usual value.
_NAMED_CONTEXT = ("model", "strategy")


def groups(results: list[Mapping[str, object]], context: list[str]) -> dict[str, list[Mapping[str, object]]]:
    """Results by their context label, e.g. 'mlp, hidden_units=[512, 512], one_device'.

    A field other than model and strategy is named only where its value is not the one most
    configurations have (the throughput question's knobs vary one at a time from the defaults).
    """
    usual = {k: Counter(repr(spec_of(r).get(k)) for r in results).most_common(1)[0][0] for k in context}
    found: dict[str, list[Mapping[str, object]]] = {}
    for r in results:
        s = spec_of(r)
        named = [k for k in context if k in _NAMED_CONTEXT or repr(s.get(k)) != usual[k]]
        text = ", ".join(label(k, s.get(k)) for k in named if k != "replicas")
        if "replicas" in context and s.get("replicas", 1) > 1:
            text = text.replace(str(s.get("strategy")), f"{s.get('strategy')}{s.get('replicas')}", 1)
        found.setdefault(text, []).append(r)
    return found


def context_groups(results: list[Mapping[str, object]], own: set[str]) -> dict[str, list[Mapping[str, object]]]:
    """Results grouped by every varying field except the question's own."""
    return groups(results, [k for k in axes(results) if k not in own])


def sentence_metric(metric: str, results: list[Mapping[str, object]]) -> Reading:
    """The reading of the metric a sentence follows: throughput on synthetic data (no accuracy to follow)."""
    if all(spec_of(r).get("dataset") == "synthetic" for r in results):
        metric = "examples_per_sec"
    return READINGS[metric]


def steps_to_target_series(
    results: Iterable[Mapping[str, object]],
) -> dict[str, list[tuple[int, Figure | None]]]:
    """Per context (e.g. 'LR scaling linear'), (global batch size, steps to target or None) by batch size.

    Only ok results with a target_accuracy count; None means the target was not reached.
    """
    results = [r for r in results if r.get("status") == "ok" and spec_of(r).get("target_accuracy") is not None]
    return {
        name: sorted(
            ((spec_of(r)["global_batch_size"], figure(r, "steps_to_target")) for r in group), key=lambda p: p[0]
        )
        for name, group in context_groups(results, {"global_batch_size", "target_accuracy"}).items()
    }
