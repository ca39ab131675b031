"""Measures what one further seed of a configuration costs, prepared afresh against restarted, in one process.

    TF_CPP_MIN_LOG_LEVEL=2 python tools/dev/seed_cost.py [REPEATS]

For each configuration the first seed is prepared and trained; then, REPEATS times, a further
seed is run both ways, interleaved so that the machine's load hits both alike: runner.run_one
(prepare, trace, train, release) and preparation.reseed + runner.train_and_conclude (restart the
first seed's prepared run). Prints the medians.
"""

from __future__ import annotations

import statistics
import sys
import time

from bench_lib.engine.strategy import configure_devices

configure_devices(2)

from bench_lib.config.spec import RunSpec  # noqa: E402  (devices are configured before TensorFlow starts)
from bench_lib.engine import preparation, runner  # noqa: E402

CONFIGS = (
    {"model": "mlp", "global_batch_size": 32, "strategy": "one_device", "replicas": 1},
    {"model": "mlp", "global_batch_size": 128, "strategy": "mirrored", "replicas": 2},
    {"model": "cnn", "global_batch_size": 256, "accumulation_steps": 4, "strategy": "mirrored", "replicas": 2},
)


def further_seed_seconds(spec: RunSpec, repeats: int) -> tuple[list[float], list[float], int]:
    """(seconds prepared afresh, seconds restarted, traces of the restarted step) per further seed."""
    prepared = preparation.prepare(spec)
    try:
        runner.train_and_conclude(prepared)
        fresh, restarted = [], []
        for seed in range(1, repeats + 1):
            start = time.perf_counter()
            runner.run_one(spec.replace(seed=seed))
            fresh.append(time.perf_counter() - start)
            start = time.perf_counter()
            runner.train_and_conclude(preparation.reseed(prepared, seed), time_input=False)
            restarted.append(time.perf_counter() - start)
        return fresh, restarted, prepared.trainer.train_traces
    finally:
        preparation.release(prepared)


def main(repeats: int) -> None:
    for fields in CONFIGS:
        spec = RunSpec(epochs=5, dataset="digits", warmup_steps=3, optimizer="adam", **fields)
        fresh, restarted, traces = further_seed_seconds(spec, repeats)
        print(
            f"{spec.id}: prepared afresh {statistics.median(fresh):.2f} s, restarted "
            f"{statistics.median(restarted):.2f} s (medians of {repeats}; step traced {traces}×)",
            flush=True,
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
