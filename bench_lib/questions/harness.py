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


# A ratio is the median over the interleaved rounds; runs saved before the rounds have no spread ('-').
RATIOS = ExtraTable(
    title="harness overhead (targets: suite / hand-written >= 0.97, suite / fit >= 1.5, suite / minimal >= 0.97)",
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
    # 20 interleaved rounds: 10 left the batch-64 IQR wider than the target margin
    quick=Sizes(batch_sizes=(64, 512), blocks=20),
    full=Sizes(batch_sizes=(64, 256, 1024, 4096), blocks=40),
    findings=findings.harness,
    table=RATIOS,
)
