"""The largest-batch question: how large a global batch trains within a memory limit."""

from dataclasses import dataclass

from bench_lib.questions.registry import Question


@dataclass(frozen=True, kw_only=True)
class Sizes:
    model: str
    limit_mib: int
    start: int  # the first batch tried; doubling, then bisection
    resolution: int  # the bisection stops when the bracket is this narrow


QUESTION = Question(
    name="max_batch_size",
    title="Largest global batch within a memory limit",
    order=120,
    quick=Sizes(model="cnn", limit_mib=128, start=64, resolution=32),
    full=Sizes(model="cnn", limit_mib=1024, start=64, resolution=1),
)
