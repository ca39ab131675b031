"""Makes a copy of a saved run as if its code had become slower: a developer's instrument for the regression gate.

Every timed configuration's rounds, pytest-benchmark stats, saved process medians (a nightly run's
too), step times and examples/s are scaled by one factor (a uniform slowdown), optionally times a
random per-configuration factor exp(N(0, jitter)) that stands for between-process noise. Tests build
their synthetic runs with it; by hand it shows what `compare` calls worse at a given slowdown:

    python tests/scaled_run.py .benchmarks/*/0001_aa1.json /tmp/slow/0002_x1.2.json --factor 1.2
    python -m bench_lib compare .benchmarks/*/0001_aa1.json /tmp/slow/0002_x1.2.json

docs/results/judging-rules.md describes the measurement made with it.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import random
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a saved run (pytest-benchmark JSON)")
    parser.add_argument("out", type=Path, help="where the scaled copy goes")
    parser.add_argument("--factor", type=float, required=True, help="slowdown, e.g. 1.2 for 20%% slower")
    parser.add_argument("--jitter", type=float, default=0.0, help="SD of a per-configuration log factor")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (math.isfinite(args.factor) and args.factor > 0):
        parser.error(f"--factor={args.factor!r} is not allowed: a number > 0")
    data = scaled(json.loads(args.source.read_text()), args.factor, jitter=args.jitter, seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data))
    print(f"{args.out}: {len(timed(data))} timed configurations scaled by {args.factor:g}")


if __name__ == "__main__":
    main()
