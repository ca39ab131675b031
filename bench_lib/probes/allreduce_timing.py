"""Times all-reduces of 1 KiB to 256 MiB on a run's strategy, like nccl-tests' all_reduce_perf.

Each replica holds a float32 buffer of the size; one all-reduce sums them across every replica of
the strategy (under multi_worker: across the workers, over the network, with the run's collective
settings). After two untimed warm-up calls, a fixed number of all-reduces per size is timed
(the same on every worker, or the collectives would wait on each other); the figures are in
bench_lib.maths.allreduce_figures.
"""

from __future__ import annotations

import time

import tensorflow as tf

from bench_lib.maths import allreduce_figures as allreduce

_WARMUP_CALLS = 2


def _all_reduce_once(strategy: tf.distribute.Strategy, elements: int):
    """A tf.function that all-reduces a float32 buffer of `elements` on every replica."""
    buffer = tf.ones([elements], tf.float32)  # made once; each replica reads it in place

    def on_replica() -> tf.Tensor:
        summed = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, tf.identity(buffer))
        return summed[:1]  # a tiny result that still waits for the whole all-reduce

    @tf.function
    def step():
        return strategy.run(on_replica)

    return step


def measure(strategy: tf.distribute.Strategy, sizes_bytes: tuple[int, ...]) -> list[dict[str, float]]:
    """One row of allreduce.row() per size, in the order given."""
    replicas = strategy.num_replicas_in_sync
    rows = []
    for size in sizes_bytes:
        elements = max(1, size // 4)
        step = _all_reduce_once(strategy, elements)
        for _ in range(_WARMUP_CALLS):
            _wait(strategy, step())
        iterations = allreduce.iterations_for(size)
        start = time.perf_counter()
        for _ in range(iterations):
            result = step()
        _wait(strategy, result)
        rows.append(allreduce.row(elements * 4, (time.perf_counter() - start) / iterations, replicas))
    return rows


def _wait(strategy: tf.distribute.Strategy, result) -> None:
    for tensor in strategy.experimental_local_results(result):
        tensor.numpy()
