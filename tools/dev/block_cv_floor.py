"""The machine's own floor under the suite's block CV: a bare tf.function matmul loop timed in blocks.

    PYTHONPATH=. python tools/dev/block_cv_floor.py [N] [BLOCK_S ...]     # default: 512, 0.1 0.5 1.0
    TF_NUM_INTRAOP_THREADS=1 PYTHONPATH=. python tools/dev/block_cv_floor.py 512

No model, no optimizer, no input pipeline and no suite: one N x N float32 matmul per call, read
back, called in blocks that last about BLOCK_S seconds (the number of calls fixed from a short
calibration, as the suite fixes its block from the warm-up), BLOCKS blocks in a row. It prints
each block length's median block and coefficient of variation (population standard deviation over
the mean, as `step_time_cv`). A call of N = 512 takes about as long as the MLP's optimizer step at
batch 512; N = 1024 is as long as the CNN's step at batch 64. Whatever this CV is, the suite's
blocks of steps as short cannot do better on the same machine.
"""

# ruff: noqa: I001
from __future__ import annotations

import statistics
import sys
import time

# bench_lib first: it sets TensorFlow's environment, which TensorFlow reads when it is imported.
import bench_lib  # noqa: F401
import tensorflow as tf

BLOCKS = 20
CALIBRATION_S = 0.5


def block_cv(n: int, block_s: float, blocks: int = BLOCKS) -> tuple[int, float, float]:
    """(calls per block, median block seconds, CV of the blocks) of the n x n matmul loop."""
    a, b = tf.random.uniform((n, n), seed=1), tf.random.uniform((n, n), seed=2)
    call = tf.function(lambda a, b: tf.reduce_sum(tf.matmul(a, b)))
    call(a, b).numpy()  # traces
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < CALIBRATION_S:
        call(a, b).numpy()
        calls += 1
    per_block = max(1, round(block_s / (CALIBRATION_S / calls)))
    seconds = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(per_block):
            call(a, b).numpy()
        seconds.append(time.perf_counter() - start)
    return per_block, statistics.median(seconds), statistics.pstdev(seconds) / statistics.fmean(seconds)


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 512
    for block_s in [float(s) for s in argv[1:]] or [0.1, 0.5, 1.0]:
        per_block, median_s, cv = block_cv(n, block_s)
        print(
            f"n={n} block {block_s:g} s: {per_block} calls, median block {median_s * 1e3:.1f} ms, "
            f"CV {100 * cv:.1f}% over {BLOCKS} blocks",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
