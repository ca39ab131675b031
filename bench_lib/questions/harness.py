"""The harness question: the suite's training step against a hand-written tf.function loop and keras.Model.fit."""

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from bench_lib.analysis import findings, glance
from bench_lib.questions.registry import ExtraTable, Page, Question
from bench_lib.record.metrics import ResultKey


@dataclass(frozen=True, kw_only=True)
class Sizes:
    batch_sizes: tuple[int, ...]
    blocks: int  # timed blocks of the suite, each one interleaved round


def spread_text(spread: Mapping[str, float]) -> str:
    """A spread (bench_lib.maths.stats.spread) as 'q1–q3 (min–max), n'."""
    return f"{spread['q1']:.3g}–{spread['q3']:.3g} ({spread['min']:.3g}–{spread['max']:.3g}), {spread['n']}"


def _ratio_text(result: Mapping[str, object], other: str) -> str:
    value, spread = float(result[f"suite_over_{other}"]), result.get(f"suite_over_{other}_spread")
    measured = (
        "one sequential measurement"
        if not spread
        else (f"IQR {spread['q1']:.2f}–{spread['q3']:.2f} over {spread['n']} rounds")
    )
    return f"{value:.2f}× ({measured})"


def harness_findings(results: list[Mapping[str, object]], metric: str, **judged: object) -> list[str]:
    """The suite's examples/s over the hand-written loop's and fit's, per batch size: above 1, the suite is faster."""
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
        "harness (the suite's examples/s over the alternatives', median of interleaved rounds; above 1 the suite "
        "is faster): " + "; ".join(parts) + "."
    ]


# A ratio is the median over the interleaved rounds; runs saved before the rounds have no spread ('-').
RATIOS = ExtraTable(
    title="harness overhead (the suite's examples/s over each alternative's: above 1, the suite is faster)",
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
    # Quick: only the configuration held to >= 0.97 of the minimal loop (SGD without Dropout at 512,
    # which the grid always adds), in interleaved rounds of 100 ms blocks; full: the batch sweep too.
    quick=Sizes(batch_sizes=(), blocks=10),
    full=Sizes(batch_sizes=(64, 256, 1024, 4096), blocks=40),
    findings=harness_findings,
    table=RATIOS,
    glance=functools.partial(glance.pointer, answer="The suite's loop against the alternatives: see its findings."),
    result_keys=(
        ResultKey(
            "handwritten_examples_per_sec, fit_examples_per_sec, minimal_examples_per_sec",
            "The harness question: the hand-written loop's, `Model.fit`'s and the minimal loop's throughput on the "
            "same configuration.",
        ),
        ResultKey(
            "suite_over_handwritten, suite_over_fit, suite_over_minimal",
            "The harness question: the suite's throughput over each, medians over the interleaved rounds; their "
            "`…_spread` holds `median`, `q1`, `q3`, `min`, `max`, `n`.",
        ),
        ResultKey(
            "harness_rounds, harness_block_steps, harness_block_examples_per_sec",
            "The harness question: its interleaved rounds, the steps of one block, and each variant's throughput "
            "per block.",
        ),
    ),
    page=Page(
        path="harness.md",
        nav="Harness overhead",
        asks="Does the suite's own machinery slow the step down?",
        quick_grid="MLP 784-512-512-10, SGD without Dropout at batch 512, against a textbook loop, `fit` and a "
        "minimal loop",
    ),
)
