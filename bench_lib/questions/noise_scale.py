"""The gradient-noise-scale question: B_simple measured while training, as a critical batch size."""

import functools
from dataclasses import dataclass

from bench_lib.analysis import findings, glance
from bench_lib.questions.registry import Page, Question
from bench_lib.record import metrics


@dataclass(frozen=True, kw_only=True)
class Sizes:
    batch_sizes: tuple[int, ...]  # the probe's small and big batch
    models: tuple[str, ...]


QUESTION = Question(
    name="noise_scale",
    title="Gradient noise scale (critical batch size)",
    order=80,
    quick=Sizes(batch_sizes=(16, 512), models=("mlp",)),
    full=Sizes(batch_sizes=(16, 512), models=("mlp", "mlp_bn", "cnn")),
    columns=(metrics.column("noise_scale"), metrics.column("critical_batch_size_estimate")),
    findings=findings.noise_scale,
    # One figure, not a comparison: its row states the estimate.
    glance=functools.partial(glance.estimated, key="noise_scale", words="The critical batch size B_simple predicts"),
    page=Page(
        path="noise-scale.md",
        nav="Gradient noise scale",
        asks="What batch size does the gradient noise predict as critical?",
        quick_grid="`mlp`, batch 128, noise batches 16 and 512",
    ),
)
