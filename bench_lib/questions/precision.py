"""The mixed-precision question: accuracy, throughput and memory of float32, mixed_bfloat16 and mixed_float16."""

from dataclasses import dataclass

from bench_lib.questions.registry import Page, Question
from bench_lib.record import metrics


@dataclass(frozen=True, kw_only=True)
class Sizes:
    precisions: tuple[str, ...]
    models: tuple[str, ...]


QUESTION = Question(
    name="precision",
    title="Mixed precision",
    order=90,
    quick=Sizes(precisions=("float32", "mixed_bfloat16", "mixed_float16"), models=("mlp",)),
    full=Sizes(precisions=("float32", "mixed_bfloat16", "mixed_float16"), models=("mlp", "cnn")),
    columns=(metrics.column("loss_scale_skipped_steps"),),
    page=Page(
        path="precision.md",
        nav="Mixed precision",
        asks="What do bfloat16 and float16 do?",
        quick_grid="`mlp` in float32, `mixed_bfloat16`, `mixed_float16`",
    ),
)
