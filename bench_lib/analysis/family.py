"""Provides a run's family of comparisons: every pair of figures its findings compare, judged together.

The findings of a run make many comparisons at once; calling each at α would call some
differences real by chance. A Family collects every comparison (a first pass over the
findings), settles them together — Welch's and TOST's p-values each Holm-corrected over the
family (bench_lib.maths.inference) — and then says each one's decision, real, same or
undecided, with the words that justify it. A comparison it has not seen before settling is
judged on its own (a family of one). A comparison is known by its metric and the two groups'
values, so the same pair compared twice (a sentence and its at-a-glance row) counts once.

A comparison of figures whose seeds the suite added until decided (bench_lib.suite.until_decided)
is tested on the first n seeds of each side, n the fewer of the two, and its two p-values are
multiplied by its planned looks (inference.over_looks) before Holm's correction: it could have
stopped at any of them. Pure: no TensorFlow, no I/O.
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
    looks: int = 1  # the looks its p-values were multiplied by (seeds added until decided); 1 otherwise
    cap: int | None = None  # the most seeds a side it could have taken, when seeds were added until decided

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
            return f"{self.seeds_text()} could detect a factor of {c.detectable:.2g}"
        return f"{self.seeds_text()} could detect ±{format(c.detectable, self.reading.fmt)}"

    def seeds_text(self) -> str:
        """e.g. '3 and 3 seeds', or '5 and 5 seeds of at most 6' where seeds were added until decided."""
        c = self.comparison
        if c is None:
            return ""
        added = f" of at most {self.cap}" if self.cap is not None else ""
        return f"{c.n[0]} and {c.n[1]} {self.over}{added}"

    def _tests_text(self) -> str:
        """The adjustments, e.g. ' (Holm-adjusted)' or ' (×4 looks, Holm-adjusted; 5 and 5 seeds of at most 6)'."""
        parts = [f"×{self.looks} looks"] if self.looks > 1 else []
        parts += ["Holm-adjusted"] if self.adjusted else []
        text = ", ".join(parts)
        if self.cap is not None:
            text = f"{text}; {self.seeds_text()}" if text else self.seeds_text()
        return f" ({text})" if text else ""

    def text(self) -> str:
        """e.g. 'real: ×0.10 [0.05, 0.21], Welch p=0.002' or 'same: Δ +0.001 [-0.004, +0.006] inside …'."""
        c = self.comparison
        if c is None:
            return f"undecided: {self.reason}"
        p, q = self.adjusted or _over_looks(c, self.looks)
        holm = self._tests_text()
        if self.decision == "real":
            return f"real: {self.estimate_text()}, Welch p={p:.2g}{holm}"
        margin = self.reading.margin_text()
        if self.decision == "same":
            return f"same: {self.estimate_text()} inside the margin {margin}, TOST p={q:.2g}{holm}"
        return (
            f"undecided: {self.estimate_text()}, neither a difference nor sameness within {margin} shown; "
            f"{self.why_undecided()}"
        )


def _over_looks(c: Comparison, looks: int) -> tuple[float, float]:
    return inference.over_looks(c.p_value, looks), inference.over_looks(c.equivalence_p, looks)


def _looks(a: Figure, b: Figure) -> int:
    """The looks a comparison of a and b could have been judged at: the more of either side's planned
    looks (seeds added until decided, from first to cap); 1 when neither side had seeds added.

    Tested on the first n seeds a side, n the fewer of the two, the comparison's n lies between the
    smaller first and the smaller cap, never more values than the larger side's first-to-cap range.
    """
    return max((inference.looks(*f.until_decided) for f in (a, b) if f.until_decided), default=1)


def _cap(a: Figure, b: Figure) -> int | None:
    caps = [f.until_decided[1] for f in (a, b) if f.until_decided]
    return min(caps) if caps else None


def _tested_values(a: Figure, b: Figure) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The values a comparison tests: all of them, or, where seeds were added until decided, the first n a side."""
    if a.until_decided is None and b.until_decided is None:
        return a.values, b.values
    n = min(len(a.values), len(b.values))
    return a.values[:n], b.values[:n]


def _key(a: Figure, b: Figure, reading: Reading) -> tuple[str, tuple[float, ...], tuple[float, ...]]:
    return (reading.key, a.values, b.values)


@dataclass
class Family:
    """The comparisons of one run's findings: collected, then settled together (Holm), then read back."""

    alpha: float = inference.ALPHA
    _comparisons: dict[tuple, Comparison] = field(default_factory=dict)
    _decisions: dict[tuple, str] | None = None
    _adjusted: dict[tuple, tuple[float, float]] = field(default_factory=dict)
    _looks: dict[tuple, int] = field(default_factory=dict)
    _figures: dict[tuple, tuple[Figure, Figure]] = field(default_factory=dict)

    def judge(self, a: Figure, b: Figure, reading: Reading) -> Verdict:
        """b against a: the settled decision where the family has settled with this comparison in it."""
        if len(a.values) < 2 or len(b.values) < 2:
            why = "one seed gives no test" if min(a.n, b.n) < 2 else "the saved run kept no per-seed values"
            return Verdict("undecided", reading, reason=why)
        if reading.margin.scale == "ratio" and min(*a.values, *b.values) <= 0:
            return Verdict("undecided", reading, reason="a value <= 0 has no ratio")
        key = _key(a, b, reading)
        comparison = self._comparisons.get(key) or inference.compare(*_tested_values(a, b), reading.margin)
        over = "rounds" if "rounds" in (a.over, b.over) else "seeds"
        looks, cap = _looks(a, b), _cap(a, b)
        if self._decisions is not None and key in self._decisions:
            # What the family could detect: at α / (m · looks), the level Holm's first step tests it at.
            level = self.alpha / len(self) / looks
            seen = dataclasses.replace(comparison, detectable=inference.detectable(comparison, level))
            return Verdict(
                self._decisions[key], reading, seen, over=over, adjusted=self._adjusted[key], looks=looks, cap=cap
            )
        if self._decisions is None:
            self._comparisons[key], self._looks[key], self._figures[key] = comparison, looks, (a, b)
        word = inference.decide(*_over_looks(comparison, looks), alpha=self.alpha)
        return Verdict(word, reading, comparison, over=over, looks=looks, cap=cap)

    def settle(self) -> None:
        """Decides every comparison collected so far together; later judgements read these decisions."""
        keys = list(self._comparisons)
        over_looks = [_over_looks(self._comparisons[k], self._looks[k]) for k in keys]
        differ = inference.holm([p for p, _ in over_looks])
        same = inference.holm([q for _, q in over_looks])
        self._adjusted = dict(zip(keys, zip(differ, same, strict=True), strict=True))
        self._decisions = {k: inference.decide(*self._adjusted[k], alpha=self.alpha) for k in keys}

    def undecided(self) -> list[tuple[str, Figure, Figure]]:
        """(metric, a, b) of each settled comparison over seeds that is still undecided, in the order judged."""
        if self._decisions is None:
            return []
        return [
            (key[0], *self._figures[key])
            for key, word in self._decisions.items()
            if word == "undecided" and "rounds" not in (self._figures[key][0].over, self._figures[key][1].over)
        ]

    def __len__(self) -> int:
        return len(self._comparisons)

    def rule_text(self) -> str:
        """The sentence that states the rule every verdict above was decided by."""
        looks = sorted({n for n in self._looks.values() if n > 1})
        added = (
            " Where seeds were added until decided, a comparison is tested on the first n seeds of each side (n the "
            "fewer) and its p-values are multiplied by its planned looks (cap − first + 1: "
            f"{', '.join(f'×{n}' for n in looks)}) before Holm's correction: it keeps α whichever look it stopped at."
            if looks
            else ""
        )
        return (
            f"verdicts: Welch's t-test (accuracies on the raw scale, steps, examples and times as ratios on the log "
            f"scale) and TOST against each metric's equivalence margin, both Holm-corrected over the {len(self)} "
            f"comparison{'s' if len(self) != 1 else ''} of these findings at α={self.alpha:g}; same: a difference "
            "inside the margin shown; real: otherwise a difference shown; undecided: neither, with the smallest "
            "difference the seeds (or, for one seed's examples/s, its timed rounds within one process, which do "
            f"not see between-run noise) could have detected (80% power at α/{len(self)}, Holm's strictest step)."
            + added
        )
