"""The gradient-noise-scale question: B_simple measured while training, as a critical batch size."""

import functools
from collections.abc import Callable
from dataclasses import dataclass

from bench_lib.analysis import critical_batch, findings, glance
from bench_lib.config import option_text
from bench_lib.questions.registry import Page, Question, SizeOption
from bench_lib.record import metrics


@dataclass(frozen=True, kw_only=True)
class Sizes:
    batch_sizes: tuple[int, ...]  # the probe's small and big batch
    models: tuple[str, ...]


def check(sizes: Sizes, spec: Callable[..., object]) -> None:
    """Raises: ValueError from RunSpec for probe batch sizes it does not allow."""
    spec(noise_scale_batch_sizes=sizes.batch_sizes)


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
    findings=findings.noise_scale,
    cross_findings=critical_batch.beside_noise_scale,
    # One figure, not a comparison: its row states the estimate.
    glance=functools.partial(glance.estimated, key="noise_scale", words="The critical batch size B_simple predicts"),
    page=Page(
        path="noise-scale.md",
        nav="Gradient noise scale",
        asks="What batch size does the gradient noise predict as critical?",
        quick_grid="`mlp`, batch 128, noise batches 16 and 512",
    ),
)
