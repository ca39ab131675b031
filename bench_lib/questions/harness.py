"""The harness question: the suite's training step against a hand-written tf.function loop and keras.Model.fit."""

from collections.abc import Mapping
from dataclasses import dataclass

from bench_lib.analysis import findings
from bench_lib.questions.registry import ExtraTable, Question


@dataclass(frozen=True, kw_only=True)
class Sizes:
    batch_sizes: tuple[int, ...]
    blocks: int  # timed blocks of the suite, each one interleaved round


def spread_text(spread: Mapping[str, float]) -> str:
    """A spread (bench_lib.record.stats.spread) as 'q1–q3 (min–max), n'."""
    return f"{spread['q1']:.3g}–{spread['q3']:.3g} ({spread['min']:.3g}–{spread['max']:.3g}), {spread['n']}"


# The suite's examples/s over each alternative's that it should reach, by the alternative.
TARGETS = {"handwritten": 0.97, "fit": 1.5, "minimal": 0.97}
_NAMES = {"handwritten": "hand-written", "fit": "fit", "minimal": "minimal"}


def _ratio_text(result: Mapping[str, object], other: str) -> str:
    value, spread = float(result[f"suite_over_{other}"]), result.get(f"suite_over_{other}_spread")
    measured = (
        "one sequential measurement"
        if not spread
        else (f"IQR {spread['q1']:.2f}–{spread['q3']:.2f} over {spread['n']} rounds")
    )
    target = TARGETS[other]
    return f"{value:.2f}× ({measured}; {'meets' if value >= target else 'misses'} ≥ {target:g})"


def harness_findings(results: list[Mapping[str, object]], metric: str, **judged: object) -> list[str]:
    """The suite's examples/s over the hand-written loop's and fit's, per batch size, beside the targets."""
    measured = [r for r in results if None not in (r.get("suite_over_handwritten"), r.get("suite_over_fit"))]
    if not measured:
        return [findings.generic("harness", results, metric, **judged)]
    parts = [
        f"batch {r['spec'].get('global_batch_size')}, {r['spec'].get('optimizer')}: "
        f"{_ratio_text(r, 'handwritten')} the hand-written loop's, {_ratio_text(r, 'fit')} fit's"
        + (f", {_ratio_text(r, 'minimal')} the minimal loop's" if r.get("suite_over_minimal") is not None else "")
        for r in sorted(measured, key=lambda r: r["spec"].get("global_batch_size") or 0)
    ]
    return [
        "harness (the suite's examples/s over the alternatives', median of interleaved rounds): "
        + "; ".join(parts)
        + "."
    ]


# A ratio is the median over the interleaved rounds; runs saved before the rounds have no spread ('-').
RATIOS = ExtraTable(
    title="harness overhead (targets: "
    + ", ".join(f"suite / {_NAMES[other]} >= {target:g}" for other, target in TARGETS.items())
    + ")",
    columns=(
        ("id", "id", "s"),
        ("suite ex/s", "examples_per_sec", ",.0f"),
        ("hand-written ex/s", "handwritten_examples_per_sec", ",.0f"),
        ("fit ex/s", "fit_examples_per_sec", ",.0f"),
        ("suite / hand-written", "suite_over_handwritten", ".3f"),
        ("its IQR (range), rounds", "suite_over_handwritten_spread", spread_text),
        ("suite / fit", "suite_over_fit", ".2f"),
        ("its IQR (range), rounds", "suite_over_fit_spread", spread_text),
        ("minimal ex/s", "minimal_examples_per_sec", ",.0f"),
        ("suite / minimal", "suite_over_minimal", ".3f"),
        ("its IQR (range), rounds", "suite_over_minimal_spread", spread_text),
        ("MFU", "mfu", ".2f"),
    ),
    row_key="suite_over_handwritten",
)

QUESTION = Question(
    name="harness",
    title="Harness",
    order=110,
    # 10 interleaved rounds of 100 ms blocks (20 of 50 ms blocks before: 10 of those left the batch-64 IQR too wide);
    # with the SGD configuration at batch 512 that the grid always adds.
    # Quick: only the configuration held to >= 0.97 of the minimal loop (SGD without Dropout at 512,
    # which the grid always adds), so that ResNet-50 fits in the 5 minutes; full: the batch sweep too.
    quick=Sizes(batch_sizes=(), blocks=10),
    full=Sizes(batch_sizes=(64, 256, 1024, 4096), blocks=40),
    findings=harness_findings,
    table=RATIOS,
)
