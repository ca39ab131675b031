"""The all-reduce question: bandwidth (algbw, busbw) and latency of the run's multi-replica strategies."""

from dataclasses import dataclass

from bench_lib.analysis import allreduce
from bench_lib.questions.registry import Question


@dataclass(frozen=True, kw_only=True)
class Sizes:
    sizes_bytes: tuple[int, ...]  # float32 buffers, each all-reduced across every replica


QUESTION = Question(
    name="allreduce",
    title="All-reduce bandwidth",
    order=115,
    # Two sizes within the latency range (up to 16 KiB), then up to the 2.7 MB of the wide MLP's gradients and beyond.
    quick=Sizes(sizes_bytes=tuple(allreduce.KIB * 16**k for k in range(5))),  # 1 KiB, 16 KiB, ..., 64 MiB
    full=Sizes(sizes_bytes=allreduce.DEFAULT_SIZES),  # 1 KiB, 4 KiB, ..., 256 MiB
)
