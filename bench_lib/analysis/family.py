"""Provides a run's family of comparisons: every pair of figures its findings compare, judged together.

The findings of a run make many comparisons at once; calling each at α would call some
differences real by chance. A Family collects every comparison (a first pass over the
findings), settles them together — Welch's and TOST's p-values each Holm-corrected over the
family (bench_lib.maths.inference) — and then says each one's decision, real, same or
undecided, with the words that justify it. A comparison it has not seen before settling is
judged on its own (a family of one). A comparison is known by its metric and the two groups'
values, so the same pair compared twice (a sentence and its at-a-glance row) counts once.

A comparison of figures whose seeds the suite added until decided (bench_lib.suite.until_decided)
is tested on the first n values of each marked side, n the fewer of the two sides' values, and its
two p-values are multiplied by its planned looks (inference.over_looks) before Holm's
correction: it could have stopped at any of them. Pure: no TensorFlow, no I/O.
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
    cap: int | None = None  # the most seeds a side could have taken, when both sides may get seeds until decided
    first_of: bool = False  # tested on the first values of a side that has more (seeds added until decided)

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
        """e.g. '3 and 3 seeds', '5 and 5 seeds of at most 6' where seeds were added until decided, or 'the
        first 5 and 5 seeds of at most 6' where a side has more values than the comparison tests (its interval,
        printed beside the verdict, is over all of them)."""
        c = self.comparison
        if c is None:
            return ""
        added = f" of at most {self.cap}" if self.cap is not None else ""
        first = "the first " if self.first_of else ""
        return f"{first}{c.n[0]} and {c.n[1]} {self.over}{added}"

    def _tests_text(self) -> str:
        """The adjustments, e.g. ' (Holm-adjusted)' or ' (×4 looks, Holm-adjusted; 5 and 5 seeds of at most 6)'."""
        parts = [f"×{self.looks} looks"] if self.looks > 1 else []
        parts += ["Holm-adjusted"] if self.adjusted else []
        text = ", ".join(parts)
        if self.cap is not None or self.first_of:
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
        looks = f" (×{self.looks} looks)" if self.looks > 1 else ""
        return (
            f"undecided: {self.estimate_text()}, neither a difference nor sameness within {margin} shown; "
            f"{self.why_undecided()}{looks}"
        )


def _over_looks(c: Comparison, looks: int) -> tuple[float, float]:
    return inference.over_looks(c.p_value, looks), inference.over_looks(c.equivalence_p, looks)


def _planned(f: Figure) -> int:
    """A marked side's planned looks: cap − n0 + 1, n0 its values among its first seeds (at least 2, the
    fewest a test takes): a seed that gave no value leaves the tested n to start lower."""
    values, cap = f.until_decided
    return inference.looks(min(max(values, 2), cap), cap)


def _looks(a: Figure, b: Figure) -> int:
    """The looks a comparison of a and b could have been judged at: the more of either side's planned
    looks (seeds added until decided); 1 when neither side is marked.

    Tested on the first n values of its marked sides, n the fewer of the two sides' values, the
    comparison's n lies between the fewer first values and the cap of the side that grows.
    """
    return max((_planned(f) for f in (a, b) if f.until_decided), default=1)


def _cap(a: Figure, b: Figure) -> int | None:
    """The cap of a comparison both of whose sides may get seeds; None otherwise (it never gets any)."""
    if a.until_decided is None or b.until_decided is None:
        return None
    return min(a.until_decided[1], b.until_decided[1])


def _tested_values(a: Figure, b: Figure) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The values a comparison tests: all of them, but a marked side's (seeds added until decided) only its first
    n, n the fewer of the two sides' values: an unmarked side never grows, so it keeps all its values."""
    n = min(len(a.values), len(b.values))
    return tuple(f.values[:n] if f.until_decided else f.values for f in (a, b))


def _key(a: Figure, b: Figure, reading: Reading) -> tuple:
    """A comparison's identity: its metric and each side's source and values (the same pair judged twice is one)."""
    return (reading.key, a.source, a.values, b.source, b.values)


@dataclass
class Family:
    """The comparisons of one run's findings: collected, then settled together (Holm), then read back."""

    alpha: float = inference.ALPHA
    _comparisons: dict[tuple, Comparison] = field(default_factory=dict)
    _decisions: dict[tuple, str] | None = None
    _adjusted: dict[tuple, tuple[float, float]] = field(default_factory=dict)
    _looks: dict[tuple, int] = field(default_factory=dict)
    _figures: dict[tuple, tuple[Figure, Figure]] = field(default_factory=dict)
    _untested: dict[tuple, tuple[Figure, Figure]] = field(default_factory=dict)  # marked, too few values to test

    def judge(self, a: Figure, b: Figure, reading: Reading) -> Verdict:
        """b against a: the settled decision where the family has settled with this comparison in it."""
        if len(a.values) < 2 or len(b.values) < 2:
            why = "one seed gives no test" if min(a.n, b.n) < 2 else "the saved run kept no per-seed values"
            if self._decisions is None and a.until_decided and b.until_decided and min(a.n, b.n) < 2:
                self._untested[_key(a, b, reading)] = (a, b)
            return Verdict("undecided", reading, reason=why)
        if reading.margin.scale == "ratio" and min(*a.values, *b.values) <= 0:
            return Verdict("undecided", reading, reason="a value <= 0 has no ratio")
        key = _key(a, b, reading)
        tested = _tested_values(a, b)
        comparison = self._comparisons.get(key) or inference.compare(*tested, reading.margin)
        looks = _looks(a, b)
        shown = {
            "over": "rounds" if "rounds" in (a.over, b.over) else "seeds",
            "looks": looks,
            "cap": _cap(a, b),
            "first_of": (len(tested[0]), len(tested[1])) != (len(a.values), len(b.values)),
        }
        if self._decisions is not None and key in self._decisions:
            # What the family could detect: at α / (m · looks), the level Holm's first step tests it at.
            level = self.alpha / len(self) / looks
            seen = dataclasses.replace(comparison, detectable=inference.detectable(comparison, level))
            return Verdict(self._decisions[key], reading, seen, adjusted=self._adjusted[key], **shown)
        if self._decisions is None:
            self._comparisons[key], self._looks[key], self._figures[key] = comparison, looks, (a, b)
        # Judged on its own: at α / looks, the level its p-values times the looks are decided at.
        seen = dataclasses.replace(comparison, detectable=inference.detectable(comparison, self.alpha / looks))
        word = inference.decide(*_over_looks(comparison, looks), alpha=self.alpha)
        return Verdict(word, reading, seen, **shown)

    def settle(self) -> None:
        """Decides every comparison collected so far together; later judgements read these decisions."""
        keys = list(self._comparisons)
        over_looks = [_over_looks(self._comparisons[k], self._looks[k]) for k in keys]
        differ = inference.holm([p for p, _ in over_looks])
        same = inference.holm([q for _, q in over_looks])
        self._adjusted = dict(zip(keys, zip(differ, same, strict=True), strict=True))
        self._decisions = {k: inference.decide(*self._adjusted[k], alpha=self.alpha) for k in keys}

    def undecided(self) -> list[tuple[str, Figure, Figure]]:
        """(metric, a, b) of each settled comparison over seeds that is still undecided, in the order judged, then
        each comparison of two marked sides (seeds until decided) with too few values on a side to be tested."""
        if self._decisions is None:
            return []
        tested = [
            (key[0], *self._figures[key])
            for key, word in self._decisions.items()
            if word == "undecided" and "rounds" not in (self._figures[key][0].over, self._figures[key][1].over)
        ]
        return tested + [(key[0], a, b) for key, (a, b) in self._untested.items()]

    def __len__(self) -> int:
        return len(self._comparisons)

    def rule_text(self) -> str:
        """The sentence that states the rule every verdict above was decided by."""
        looks = sorted({n for n in self._looks.values() if n > 1})
        m = len(self)
        level = f"α/{m}" + (f"; α/({m} · looks) where seeds were added until decided" if looks else "")
        added = (
            " Where seeds were added until decided, a comparison is tested on the first n values of each side that may "
            "get seeds (n the fewer) and its p-values are multiplied by its planned looks (cap − first values + 1: "
            f"{', '.join(f'×{n}' for n in looks)}) before Holm's correction: it keeps α whichever look it stopped at."
            if looks
            else ""
        )
        return (
            f"verdicts: Welch's t-test (accuracies on the raw scale, steps, examples and times as ratios on the log "
            f"scale) and TOST against each metric's equivalence margin, both Holm-corrected over the {m} "
            f"comparison{'s' if m != 1 else ''} of these findings at α={self.alpha:g}; same: a difference "
            "inside the margin shown; real: otherwise a difference shown; undecided: neither, with the smallest "
            "difference the seeds (or, for one seed's examples/s, its timed rounds within one process, which do "
            f"not see between-run noise) could have detected (80% power at {level}, Holm's strictest step)." + added
        )
