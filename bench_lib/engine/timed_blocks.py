"""Sizes the timed blocks of a training loop: enough optimizer steps that a block dwarfs dispatch jitter.

A timed round of the suite is a block of consecutive optimizer steps, not one step: one step
of the small models is short, mostly Python dispatch, and its time varies widely from step to
step, while the mean step of a block of many steps varies far less (docs/measuring.md). The
block size is calibrated once per configuration from its warm-up calls, as pytest-benchmark
calibrates its loops against min_time: the fewest whole calls whose expected time reaches
MIN_BLOCK_S.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# A block lasts at least this long when the warm-up calls are a fair guide.
MIN_BLOCK_S = 0.05
# ... and this long where the budget is a number of blocks (the questions that ask what a step
# costs). Longer blocks spread less from one to the next, though not in proportion: what spreads
# small steps does not average out within a block. This length is the compromise between that
# spread and the suite's time (docs/measuring.md, "Figures measured here").
TIMED_BLOCK_S = 0.1
# With a fixed step budget (the accuracy questions), blocks are cut small enough to give this many:
# compare's rank test on a run's rounds needs enough of them to see a real slowdown through a
# loaded machine's spread.
MIN_BLOCKS = 20


def block_calls(
    warmup_call_s: Sequence[float], *, min_block_s: float, timed_calls: int | None, min_blocks: int = MIN_BLOCKS
) -> int:
    """Calls of the training step per timed block.

    warmup_call_s are the warm-up calls' durations; the first traces the step, so it counts only
    when it is the only one (then it overestimates the call and the block is short rather than
    long). timed_calls is the calls a fixed budget leaves to time (None when the budget is a
    number of blocks): the block is then at most timed_calls / min_blocks calls.
    """
    steady = list(warmup_call_s[1:]) or list(warmup_call_s)
    calls = 1
    if steady and min_block_s > 0:
        calls = math.ceil(min_block_s / max(min(steady), 1e-6))
    if timed_calls is not None:
        calls = min(calls, max(1, timed_calls // min_blocks))
    return max(1, calls)
