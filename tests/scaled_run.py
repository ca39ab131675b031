"""Makes a copy of a saved run as if its code had become slower: a developer's instrument for the regression gate.

Every timed configuration's rounds, pytest-benchmark stats, saved process medians (a nightly run's
too), step times and examples/s are scaled by one factor (a uniform slowdown), optionally times a
random per-configuration factor exp(N(0, jitter)) that stands for between-process noise. Tests build
their synthetic runs with it; by hand it shows what `compare` calls worse at a given slowdown:

    python tests/scaled_run.py .benchmarks/*/0001_aa1.json /tmp/slow/0002_x1.2.json --factor 1.2
    python -m bench_lib compare .benchmarks/*/0001_aa1.json /tmp/slow/0002_x1.2.json

docs/results/judging-rules.md describes the measurement made with it; the scaling itself is
bench_lib.record.scaled, which `tfbench gate-check` uses.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from bench_lib.record.scaled import SCALED_STATS, scale_benchmark, scaled, timed  # noqa: F401  (the tests' names)


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
