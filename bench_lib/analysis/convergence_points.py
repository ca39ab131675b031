"""Provides reference convergence points (steps-to-target distributions measured here) and checks runs against them.

Like MLPerf's RCP checker, a reference point holds the steps a configuration took to its target
over several seeds (with the TensorFlow and Keras versions that gave them); a new run's seeds are
compared with it by a pooled-variance two-sample t-test (scipy's ttest_ind_from_stats with
equal_var, as MLPerf computes it) read one-sided at α = 0.05, once each way: significantly more
steps is "slower" (a training regression that timing never shows), significantly fewer is
"faster" (MLPerf's concern: something now converges suspiciously early). A configuration is
matched on its question, id, dataset, target and the set the target is checked on. Pure
functions of dicts and numbers: the JSON is read and written by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import scipy.stats

from bench_lib.config.wording import count
from bench_lib.maths import stats
from bench_lib.record import metrics

ALPHA = 0.05
# The fields of a result that identify its reference point.
KEY_FIELDS = ("question", "id", "dataset", "target_accuracy", "target_on")


def key(result: Mapping[str, object]) -> tuple:
    """What identifies a configuration's reference point: question, id, dataset, target and the set it is checked on."""
    spec = result.get("spec") or {}
    return (
        result.get("question"),
        result.get("id"),
        spec.get("dataset"),
        spec.get("target_accuracy"),
        spec.get("target_on", "test"),
    )


def steps_values(result: Mapping[str, object]) -> list[float]:
    """The steps to target of every seed that reached it."""
    entry = (result.get("seed_stats") or {}).get("steps_to_target")
    values = entry["values"] if entry else [result.get("steps_to_target")]
    return [float(v) for v in values if v is not None]


def point(result: Mapping[str, object], versions: Mapping[str, str]) -> dict[str, object] | None:
    """A reference point from one ok result with a target (None otherwise), at the given library versions."""
    values = steps_values(result)
    if result.get("status") != "ok" or not values or (result.get("spec") or {}).get("target_accuracy") is None:
        return None
    return {
        **dict(zip(KEY_FIELDS, key(result), strict=True)),
        "steps_to_target": values,
        "mean": stats.mean(values),
        "std": stats.sample_std(values) if len(values) > 1 else None,
        "n": len(values),
        "seeds": list(result.get("seeds") or []),
        "tensorflow": versions.get("tensorflow"),
        "keras": versions.get("keras"),
    }


@dataclass(frozen=True)
class Deviation:
    """A run's steps to target against its reference point."""

    id: str
    question: str
    mean: float
    n: int
    reference_mean: float
    reference_n: int
    p_slower: float
    p_faster: float

    @property
    def verdict(self) -> str:
        if self.p_slower < ALPHA:
            return "slower"
        return "faster" if self.p_faster < ALPHA else "as the reference"

    def line(self) -> str:
        """e.g. 'q id: the number of steps to the target is 1,240 (n=3) against the reference's 1,000 (n=5): ...'."""
        p = min(self.p_slower, self.p_faster)
        steps = metrics.metric("steps_to_target")
        mean, reference = (format(m, steps.sentence_format) for m in (self.mean, self.reference_mean))
        return (
            f"{self.question} {self.id}: {steps.words} is {mean} (n={self.n}) against the reference's "
            f"{reference} (n={self.reference_n}): {self.verdict} (one-sided p={p:.3g})"
        )


def one_sided_p(a: list[float], b: list[float]) -> tuple[float, float]:
    """(p that a's mean is not above b's, p that it is not below): the pooled two-sample t-test, each tail.

    scipy's ttest_ind_from_stats with equal_var=True, its two-sided p turned one-sided as
    MLPerf's checker turns it. Equal values on both sides (no spread) give 1.0 each way.

    Raises:
      ValueError: fewer than three values in all (no degrees of freedom).
    """
    if not a or not b or len(a) + len(b) < 3:
        raise ValueError(f"one_sided_p needs n_a + n_b >= 3 values, got {len(a)} and {len(b)}")
    spread = [stats.sample_std(v) if len(v) > 1 else 0.0 for v in (a, b)]
    if spread == [0.0, 0.0]:
        diff = stats.mean(a) - stats.mean(b)
        return (0.0 if diff > 0 else 1.0, 0.0 if diff < 0 else 1.0)
    t, p_two = scipy.stats.ttest_ind_from_stats(
        stats.mean(a), spread[0], len(a), stats.mean(b), spread[1], len(b), equal_var=True
    )
    slower = p_two / 2 if t > 0 else 1 - p_two / 2
    return (float(slower), float(1 - slower))


def check(results: Iterable[Mapping[str, object]], points: Iterable[Mapping[str, object]]) -> list[Deviation]:
    """Every result that has a reference point, checked against it (those with too few values left out)."""
    by_key = {tuple(p.get(k) for k in KEY_FIELDS): p for p in points}
    out = []
    for result in results:
        ref = by_key.get(key(result))
        values = steps_values(result)
        if ref is None or result.get("status") != "ok" or not values or len(values) + ref["n"] < 3:
            continue
        slower, faster = one_sided_p(values, [float(v) for v in ref["steps_to_target"]])
        out.append(
            Deviation(str(result.get("id")), str(result.get("question")), stats.mean(values), len(values),
                      float(ref["mean"]), int(ref["n"]), slower, faster)
        )  # fmt: skip
    return out


def merge(points: Iterable[Mapping[str, object]], new: Iterable[Mapping[str, object]]) -> list[dict[str, object]]:
    """The reference points with `new` ones replacing those of the same key, sorted by key."""
    merged = {tuple(p.get(k) for k in KEY_FIELDS): dict(p) for p in points}
    merged |= {tuple(p.get(k) for k in KEY_FIELDS): dict(p) for p in new}
    return [merged[k] for k in sorted(merged, key=repr)]


def sentences(deviations: list[Deviation]) -> list[str]:
    """The report's lines: one per configuration that differs from its reference, or one saying none does."""
    if not deviations:
        return []
    flagged = [d for d in deviations if d.verdict != "as the reference"]
    if not flagged:
        every = count(len(deviations), "configuration")
        return [f"reference convergence: all {every} with a reference point take as many "
                "steps to their target as it does (one-sided t-tests, α = 0.05)."]  # fmt: skip
    return [f"reference convergence: {d.line()}." for d in flagged]
