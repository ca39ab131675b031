"""The gradient-accumulation question: one effective batch reached by several micro-batch x accumulation pairs."""

from dataclasses import dataclass

from bench_lib.questions.registry import Page, Question


@dataclass(frozen=True, kw_only=True)
class Sizes:
    models: tuple[str, ...]
    global_batch_size: int  # the effective batch every pair reaches
    accumulation_steps: tuple[int, ...]


QUESTION = Question(
    name="accumulation",
    title="Gradient accumulation at a fixed effective batch",
    order=30,
    quick=Sizes(models=("mlp", "cnn"), global_batch_size=256, accumulation_steps=(1, 4, 8)),
    full=Sizes(models=("mlp", "cnn"), global_batch_size=512, accumulation_steps=(1, 2, 4, 8, 16)),
    page=Page(
        path="accumulation.md",
        nav="Gradient accumulation",
        asks="Does gradient accumulation reach the same effective batch?",
        quick_grid="`mlp` and `cnn`, batch 256 with 1, 4, 8 accumulation steps, 3 seeds",
    ),
)
