"""The gradient-noise-scale question: B_simple measured while training, as a critical batch size."""

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bench_lib.analysis import critical_batch, glance, papers
from bench_lib.analysis.family import Family
from bench_lib.analysis.supplied import Supplied, Supplies
from bench_lib.analysis.vocabulary import READINGS, Figure, figure, interval_text, spec_of
from bench_lib.config import option_text
from bench_lib.maths.inference import CriticalBatch
from bench_lib.questions.registry import Page, Question, SizeOption
from bench_lib.record import metrics


@dataclass(frozen=True, kw_only=True)
class Sizes:
    batch_sizes: tuple[int, ...]  # the probe's small and big batch
    models: tuple[str, ...]


def check(sizes: Sizes, spec: Callable[..., object]) -> None:
    """Raises: ValueError from RunSpec for probe batch sizes it does not allow."""
    spec(noise_scale_batch_sizes=sizes.batch_sizes)


def findings(results: list[Mapping[str, object]], metric: str, *, family: Family | None = None) -> list[str]:
    """The measured simple noise scale B_simple, i.e. the critical batch size it predicts, per configuration."""
    parts = []
    for r in results:
        f = figure(r, "noise_scale")
        if f is not None:
            spec = spec_of(r)
            estimate = interval_text(f, READINGS["noise_scale"].fmt)
            parts.append(f"{estimate} for {spec.get('model')} at batch {spec.get('global_batch_size')}")
    if not parts:
        return ["noise_scale: no configuration measured a noise scale."]
    return [
        "noise_scale: the simple noise scale B_simple (the critical batch size it predicts) is "
        + "; ".join(parts)
        + "."
    ]


def mccandlish(results: list[Mapping[str, object]], supplied: Supplied, family: Family) -> papers.Measured:
    """The first B_simple beside the critical batch fitted to a supplied series: agrees where their
    intervals overlap, disagrees where they do not, undecided where either has no interval (B_simple
    from one seed, a fit without one)."""
    fits = papers.fitted_critical_batches(supplied)
    if not supplied.estimates or not fits:
        return []
    (b_simple, _), fitted = supplied.estimates[0], fits[0]
    return [(_beside(b_simple, fitted), mccandlish_word(b_simple.ci95, fitted.ci95))]


def mccandlish_word(b_simple: tuple[float, float] | None, b_crit: tuple[float, float] | None) -> str:
    """agrees, disagrees or undecided for B_simple's and the fitted B_crit's 95% intervals."""
    if b_simple is None or b_crit is None:
        return "undecided"
    return "agrees" if b_simple[0] <= b_crit[1] and b_crit[0] <= b_simple[1] else "disagrees"


def _beside(b_simple: Figure, fitted: CriticalBatch) -> str:
    estimate = interval_text(b_simple, READINGS["noise_scale"].fmt)
    return f"B_simple {estimate} beside the fitted {critical_batch.fit_text(fitted)}"


MCCANDLISH = papers.Paper(
    paper="McCandlish et al. 2018",
    published="B_simple predicts the critical batch B_crit (on MNIST they report B_simple near 900)",
    read=mccandlish,
)

QUESTION = Question(
    name="noise_scale",
    title="Gradient noise scale (critical batch size)",
    order=80,
    quick=Sizes(batch_sizes=(16, 512), models=("mlp",)),
    full=Sizes(batch_sizes=(16, 512), models=("mlp", "mlp_bn", "cnn")),
    options=(
        SizeOption(
            name="--bench-noise-scale-batches",
            help="small,big batch sizes of the gradient-noise-scale probe",
            field="batch_sizes",
            parse=option_text.whole_numbers,
        ),
    ),
    check=check,
    columns=(metrics.column("noise_scale"), metrics.column("critical_batch_size_estimate")),
    findings=findings,
    # Its B_simple beside the critical batch fitted to the steps-to-target series other questions supply.
    supplies=Supplies(noise_scale=True),
    cross_findings=critical_batch.beside_noise_scale,
    papers=(MCCANDLISH,),
    # One figure, not a comparison: its row states the estimate.
    glance=functools.partial(glance.estimated, key="noise_scale", words="The critical batch size B_simple predicts"),
    page=Page(
        path="noise-scale.md",
        nav="Gradient noise scale",
        asks="What batch size does the gradient noise predict as critical?",
        quick_grid="`mlp`, batch 128, noise batches 16 and 512, 3 seeds",
    ),
)
