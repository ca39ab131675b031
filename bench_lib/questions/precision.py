"""The mixed-precision question: accuracy, throughput and memory of float32, mixed_bfloat16 and mixed_float16."""

from collections.abc import Callable
from dataclasses import dataclass

from bench_lib.config import option_text
from bench_lib.questions.registry import Page, Question, SizeOption
from bench_lib.record import metrics


@dataclass(frozen=True, kw_only=True)
class Sizes:
    precisions: tuple[str, ...]
    models: tuple[str, ...]


def check(sizes: Sizes, spec: Callable[..., object]) -> None:
    """Raises: ValueError from RunSpec for a precision it does not allow."""
    for precision in sizes.precisions:
        spec(precision=precision)


QUESTION = Question(
    name="precision",
    title="Mixed precision",
    order=90,
    quick=Sizes(precisions=("float32", "mixed_bfloat16", "mixed_float16"), models=("mlp",)),
    full=Sizes(precisions=("float32", "mixed_bfloat16", "mixed_float16"), models=("mlp", "cnn")),
    options=(
        SizeOption(
            name="--bench-precisions",
            help="precisions of the precision question, e.g. float32,mixed_bfloat16",
            field="precisions",
            parse=option_text.names,
        ),
    ),
    check=check,
    columns=(metrics.column("loss_scale_skipped_steps"),),
    page=Page(
        path="precision.md",
        nav="Mixed precision",
        asks="What do bfloat16 and float16 do?",
        quick_grid="`mlp` in float32, `mixed_bfloat16`, `mixed_float16`",
    ),
)
