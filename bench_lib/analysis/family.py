"""Provides a run's family of comparisons: every pair of figures its findings compare, judged together.

The findings of a run make many comparisons at once; calling each at α would call some
differences real by chance. A Family collects every comparison (a first pass over the
findings), settles them together — Welch's and TOST's p-values each Holm-corrected over the
family (bench_lib.maths.inference) — and then says each one's decision, real, same or
undecided, with the words that justify it. A comparison it has not seen before settling is
judged on its own (a family of one). A comparison is known by its metric and the two groups'
values, so the same pair compared twice (a sentence and its at-a-glance row) counts once. Pure:
no TensorFlow, no I/O.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from bench_lib.analysis.vocabulary import Figure, Reading
from bench_lib.maths import inference
from bench_lib.maths.inference import Comparison


@dataclass(frozen=True)
class Verdict:
    """One comparison's decision (real, same or undecided), its reading and test, or why no test was made."""

    decision: str
    reading: Reading
    comparison: Comparison | None = None
    reason: str = ""
    over: str = "seeds"
    adjusted: tuple[float, float] | None = None  # Holm-adjusted (Welch p, TOST p); None outside a settled family

    def estimate_text(self) -> str:
        """e.g. '×0.10 [0.05, 0.21]' (a ratio) or 'Δ +0.001 [-0.004, +0.006]' (a difference); '' without a test."""
        c = self.comparison
        if c is None:
            return ""
        if c.margin.scale == "ratio":
            return f"×{c.estimate:.2g} [{c.ci95[0]:.2g}, {c.ci95[1]:.2g}]"
        fmt = self.reading.fmt
        return f"Δ {c.estimate:+{fmt}} [{c.ci95[0]:+{fmt}}, {c.ci95[1]:+{fmt}}]"

    def why_undecided(self) -> str:
        """e.g. '3 and 3 seeds could detect ±0.066' or 'one seed gives no test'."""
        c = self.comparison
        if c is None:
            return self.reason
        if c.margin.scale == "ratio":
            return f"{c.n[0]} and {c.n[1]} {self.over} could detect a factor of {c.detectable:.2g}"
        return f"{c.n[0]} and {c.n[1]} {self.over} could detect ±{format(c.detectable, self.reading.fmt)}"

    def text(self) -> str:
        """e.g. 'real: ×0.10 [0.05, 0.21], Welch p=0.002' or 'same: Δ +0.001 [-0.004, +0.006] inside …'."""
        c = self.comparison
        if c is None:
            return f"undecided: {self.reason}"
        p, q = self.adjusted or (c.p_value, c.equivalence_p)
        holm = " (Holm-adjusted)" if self.adjusted else ""
        if self.decision == "real":
            return f"real: {self.estimate_text()}, Welch p={p:.2g}{holm}"
        margin = self.reading.margin_text()
        if self.decision == "same":
            return f"same: {self.estimate_text()} inside the margin {margin}, TOST p={q:.2g}{holm}"
        return (
            f"undecided: {self.estimate_text()}, neither a difference nor sameness within {margin} shown; "
            f"{self.why_undecided()}"
        )


def _key(a: Figure, b: Figure, reading: Reading) -> tuple[str, tuple[float, ...], tuple[float, ...]]:
    return (reading.key, a.values, b.values)


@dataclass
class Family:
    """The comparisons of one run's findings: collected, then settled together (Holm), then read back."""

    alpha: float = inference.ALPHA
    _comparisons: dict[tuple, Comparison] = field(default_factory=dict)
    _decisions: dict[tuple, str] | None = None
    _adjusted: dict[tuple, tuple[float, float]] = field(default_factory=dict)

    def judge(self, a: Figure, b: Figure, reading: Reading) -> Verdict:
        """b against a: the settled decision where the family has settled with this comparison in it."""
        if len(a.values) < 2 or len(b.values) < 2:
            why = "one seed gives no test" if min(a.n, b.n) < 2 else "the saved run kept no per-seed values"
            return Verdict("undecided", reading, reason=why)
        if reading.margin.scale == "ratio" and min(*a.values, *b.values) <= 0:
            return Verdict("undecided", reading, reason="a value <= 0 has no ratio")
        key = _key(a, b, reading)
        comparison = self._comparisons.get(key) or inference.compare(a.values, b.values, reading.margin)
        over = "rounds" if "rounds" in (a.over, b.over) else "seeds"
        if self._decisions is not None and key in self._decisions:
            # What the family could detect: at α / m, the level Holm's first step tests at.
            seen = dataclasses.replace(comparison, detectable=inference.detectable(comparison, self.alpha / len(self)))
            return Verdict(self._decisions[key], reading, seen, over=over, adjusted=self._adjusted[key])
        if self._decisions is None:
            self._comparisons[key] = comparison
        word = inference.decide(comparison.p_value, comparison.equivalence_p, alpha=self.alpha)
        return Verdict(word, reading, comparison, over=over)

    def settle(self) -> None:
        """Decides every comparison collected so far together; later judgements read these decisions."""
        keys = list(self._comparisons)
        differ = inference.holm([self._comparisons[k].p_value for k in keys])
        same = inference.holm([self._comparisons[k].equivalence_p for k in keys])
        self._adjusted = dict(zip(keys, zip(differ, same, strict=True), strict=True))
        self._decisions = {k: inference.decide(*self._adjusted[k], alpha=self.alpha) for k in keys}

    def __len__(self) -> int:
        return len(self._comparisons)

    def rule_text(self) -> str:
        """The sentence that states the rule every verdict above was decided by."""
        return (
            f"verdicts: Welch's t-test (accuracies on the raw scale, steps, examples and times as ratios on the log "
            f"scale) and TOST against each metric's equivalence margin, both Holm-corrected over the {len(self)} "
            f"comparison{'s' if len(self) != 1 else ''} of these findings at α={self.alpha:g}; same: a difference "
            "inside the margin shown; real: otherwise a difference shown; undecided: neither, with the smallest "
            "difference the seeds (or, for one seed's examples/s, its timed rounds within one process, which do "
            f"not see between-run noise) could have detected (80% power at α/{len(self)}, Holm's strictest step)."
        )
