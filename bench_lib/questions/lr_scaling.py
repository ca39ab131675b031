"""The learning-rate scaling question: fixed against linearly and sqrt-scaled learning rates as the batch grows."""

from dataclasses import dataclass

from bench_lib.analysis import findings
from bench_lib.questions.registry import Page, Question


@dataclass(frozen=True, kw_only=True)
class Sizes:
    batch_sizes: tuple[int, ...]  # the first is the base batch, where every rule gives the same rate
    optimizers: tuple[str, ...]
    warmup_epochs: float  # the linear warm-up to a scaled rate
    sharpness_samples: int  # of the sharpness probe that rides along


QUESTION = Question(
    name="lr_scaling",
    title="Learning-rate scaling with the batch size",
    order=60,
    quick=Sizes(batch_sizes=(32, 512), optimizers=("adam",), warmup_epochs=1.0, sharpness_samples=3),
    full=Sizes(
        batch_sizes=(32, 128, 512, 1024), optimizers=("adam", "momentum"), warmup_epochs=2.0, sharpness_samples=10
    ),
    findings=findings.lr_scaling,
    page=Page(
        path="lr-scaling.md",
        nav="Learning-rate scaling",
        asks='How much of "large batches hurt" is the learning rate?',
        quick_grid="`mlp`, batch 32 and 512, fixed / linear / sqrt rate, 3 seeds",
    ),
)
