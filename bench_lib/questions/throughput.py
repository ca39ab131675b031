"""The throughput question: step time on synthetic data across models, batch sizes, strategies and knobs."""

from dataclasses import dataclass

from bench_lib.questions.registry import Question


@dataclass(frozen=True, kw_only=True)
class Sizes:
    batch_sizes: tuple[int, ...]
    models: tuple[str, ...]
    steps: int  # timed steps of every configuration
    mfu_batch_sizes: tuple[int, ...]  # of the wide MLP
    knob_batch_size: int  # where each knob is changed alone from the defaults


QUESTION = Question(
    name="throughput",
    title="Throughput (synthetic data)",
    order=100,
    quick=Sizes(
        batch_sizes=(64, 256, 1024), models=("mlp", "cnn"), steps=15, mfu_batch_sizes=(512, 2048), knob_batch_size=256
    ),
    full=Sizes(
        batch_sizes=(64, 128, 256, 512, 1024, 2048, 4096),
        models=("mlp", "cnn"),
        steps=100,
        mfu_batch_sizes=(512, 1024, 2048, 4096),
        knob_batch_size=256,
    ),
)
