"""The batch-size question at a fixed number of epochs: what the global batch does to accuracy and speed."""

from dataclasses import dataclass

from bench_lib.questions.registry import Page, Question


@dataclass(frozen=True, kw_only=True)
class Sizes:
    batch_sizes: tuple[int, ...]  # global batch sizes; the fixed-steps question runs the same grid


QUESTION = Question(
    name="batch_size",
    title="Batch size (fixed epochs)",
    order=10,
    quick=Sizes(batch_sizes=(32, 128, 512)),
    full=Sizes(batch_sizes=(16, 32, 64, 128, 256, 512, 1024)),
    follows=(("--bench-batch-sizes", "batch_sizes"),),
    page=Page(
        path="batch-size.md",
        nav="Batch size",
        asks="What does the global batch size do to accuracy, throughput and memory?",
        quick_grid="`mlp`, Adam, batch 32, 128, 512; 5 epochs, 220 steps, and to training accuracy 0.95 "
        "(equal convergence); 3 seeds",
    ),
)
