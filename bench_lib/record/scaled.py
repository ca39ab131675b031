"""A saved run's data as if its code had become slower: every timed configuration's timings times one factor.

The rounds, pytest-benchmark's stats, the saved process medians (a nightly run's too), the step
times and examples/s are scaled (a uniform slowdown), optionally times a random per-configuration
factor exp(N(0, jitter)) that stands for between-process noise. `tfbench gate-check` compares a
run with such copies of another to show which slowdown the regression gate sees; the tests build
synthetic runs with it.
"""

from __future__ import annotations

import copy
import math
import random

SCALED_STATS = ("min", "max", "mean", "stddev", "median", "iqr", "q1", "q3", "ld15iqr", "hd15iqr", "total")


def timed(data: dict) -> list[dict]:
    """The saved run's timed training configurations (not a largest-batch search or an all-reduce sweep)."""
    return [b for b in data["benchmarks"] if isinstance(b.get("extra_info", {}).get("step_time_ms"), dict)]


def scale_benchmark(bench: dict, factor: float) -> None:
    """Scales one benchmark entry's timings in place: `factor` times as slow."""
    stats, info = bench["stats"], bench["extra_info"]
    stats["data"] = [t * factor for t in stats.get("data") or ()]
    stats.update({k: stats[k] * factor for k in SCALED_STATS if isinstance(stats.get(k), int | float)})
    if stats.get("ops"):
        stats["ops"] /= factor
    if isinstance(info.get("examples_per_sec"), int | float):
        info["examples_per_sec"] /= factor
    info["step_time_ms"] = {k: v * factor for k, v in info["step_time_ms"].items()}
    if isinstance(info.get("process_medians"), list):
        info["process_medians"] = [v * factor for v in info["process_medians"]]


def scaled(data: dict, factor: float, *, jitter: float = 0.0, seed: int = 0, processes: int = 0,
           pass_drift: float | None = None) -> dict:  # fmt: skip
    """A copy of a saved run `factor` times as slow, each configuration also times exp(N(0, jitter)).

    processes > 0 gives each configuration that many process medians (its median step time in
    seconds times exp(N(0, jitter)) each), as `--bench-processes` would have saved them. With
    pass_drift, they are also saved with their passes (process_passes, as the suite's interleaved
    passes save them), process k of every configuration times one shared exp(N(0, pass_drift)).
    """
    data = copy.deepcopy(data)
    rng = random.Random(seed)
    drifts = [1.0 if pass_drift is None else math.exp(rng.gauss(0, pass_drift)) for _ in range(processes)]
    for bench in timed(data):
        if processes:
            median = bench["stats"]["median"]
            medians = [median * d * math.exp(rng.gauss(0, jitter)) for d in drifts]
            bench["extra_info"]["process_medians"] = medians
            if pass_drift is not None:
                bench["extra_info"]["process_passes"] = list(range(processes))
            scale_benchmark(bench, factor)
        else:
            scale_benchmark(bench, factor * math.exp(rng.gauss(0, jitter)))
    return data
