"""The batch-normalization question: the MLP with and without BatchNormalization across batch sizes."""

from dataclasses import dataclass

from bench_lib.questions.registry import Question


@dataclass(frozen=True, kw_only=True)
class Sizes:
    batch_sizes: tuple[int, ...]  # global batch sizes, small ones included


QUESTION = Question(
    name="batchnorm",
    title="Batch normalization",
    order=40,
    quick=Sizes(batch_sizes=(8, 64, 256)),
    full=Sizes(batch_sizes=(4, 8, 16, 32, 64, 128, 256)),
)
