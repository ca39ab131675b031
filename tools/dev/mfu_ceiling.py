"""The MFU ceiling of the MLP 784-512-512-10 step: its matrix products alone, against the calibrated peak.

    PYTHONPATH=. python tools/dev/mfu_ceiling.py [BATCH ...]        # default: 512 2048
    TF_ENABLE_ONEDNN_OPTS=0 PYTHONPATH=. python tools/dev/mfu_ceiling.py   # with Eigen's kernels

For each batch it times, best of many calls, each of the step's eight matmuls alone at its real
shape (per layer one forward and one weight-gradient product, and an input-gradient product for
every layer but the first) and
all eight chained with the data dependencies of a real step, so they cannot overlap. The chained
rate over the peak is the MFU the step would reach if everything else in it (bias adds, ReLU,
dropout, softmax and loss, Adam's update, input pipeline, dispatch) took no time: a ceiling.
It also prints the peak the suite calibrates (bench_lib.probes.speed) and each of its two kernels'.
"""

# ruff: noqa: I001
from __future__ import annotations

import itertools
import math
import sys
import time

# bench_lib first: it sets TensorFlow's environment, which TensorFlow reads when it is imported.
import bench_lib  # noqa: F401
import tensorflow as tf
from bench_lib.probes import speed

WIDTHS = (784, 512, 512, 10)
REPEATS = 100


def best_seconds(fn, repeats: int = REPEATS) -> float:
    fn().numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn().numpy()
        best = min(best, time.perf_counter() - start)
    return best


def products(batch: int) -> dict[str, tuple[tuple[int, int], tuple[int, int], bool, bool]]:
    """name -> (shape of a, shape of b, transpose_a, transpose_b) of each matmul of the step."""
    out = {}
    for i, (fan_in, units) in enumerate(itertools.pairwise(WIDTHS), start=1):
        out[f"forward {i}: [{batch},{fan_in}] x [{fan_in},{units}]"] = ((batch, fan_in), (fan_in, units), False, False)
        out[f"weight grad {i}: [{fan_in},{batch}] x [{batch},{units}]"] = ((batch, fan_in), (batch, units), True, False)
        if i > 1:
            out[f"input grad {i}: [{batch},{units}] x [{units},{fan_in}]"] = (
                (batch, units),
                (fan_in, units),
                False,
                True,
            )
    return out


def chained(batch: int):
    w = [tf.random.stateless_uniform((a, b), seed=(i, 0)) for i, (a, b) in enumerate(itertools.pairwise(WIDTHS))]
    x = tf.random.stateless_uniform((batch, WIDTHS[0]), seed=(9, 9))

    @tf.function
    def step() -> tf.Tensor:
        acts = [x]
        for kernel in w:
            acts.append(tf.matmul(acts[-1], kernel))
        grad, total = acts[-1], tf.constant(0.0)
        for i in reversed(range(len(w))):
            total += tf.reduce_sum(tf.matmul(acts[i], grad, transpose_a=True)[0])
            if i > 0:
                grad = tf.matmul(grad, w[i], transpose_b=True)
        return total

    return step


def report(batch: int, peak: float) -> None:
    total_flops, alone_s = 0, 0.0
    for name, (shape_a, shape_b, ta, tb) in products(batch).items():
        a = tf.random.stateless_uniform(shape_a, seed=(1, 2))
        b = tf.random.stateless_uniform(shape_b, seed=(3, 4))
        flops = 2 * math.prod(shape_a) * shape_b[1 - tb]

        @tf.function
        def product(a=a, b=b, ta=ta, tb=tb) -> tf.Tensor:
            return tf.matmul(a, b, transpose_a=ta, transpose_b=tb)[0, 0]

        seconds = best_seconds(product)
        total_flops, alone_s = total_flops + flops, alone_s + seconds
        print(f"  {name:<42} {flops / seconds / 1e9:7.1f} GFLOP/s")
    print(f"  all eight, each alone: {total_flops / alone_s / 1e9:.1f} GFLOP/s")
    seconds = best_seconds(chained(batch))
    rate = total_flops / seconds / 1e9
    print(f"  all eight chained: {seconds * 1e3:.2f} ms, {rate:.1f} GFLOP/s = MFU ceiling {rate / peak:.2f}")


def main(batches: list[int]) -> None:
    device = "/device:CPU:0"
    tf_rate = speed._tensorflow_matmul_gflops(device, speed.CALIBRATION_SIZE, speed.CALIBRATION_REPEATS)
    blas_rate = speed._host_blas_matmul_gflops(speed.CALIBRATION_SIZE, speed.CALIBRATION_REPEATS)
    peak = max(tf_rate, blas_rate)
    print(f"peak {peak:.1f} GFLOP/s (TensorFlow's matmul {tf_rate:.1f}, host BLAS {blas_rate:.1f})")
    for batch in batches:
        print(f"batch {batch}:")
        report(batch, peak)


if __name__ == "__main__":
    main([int(b) for b in sys.argv[1:]] or [512, 2048])
