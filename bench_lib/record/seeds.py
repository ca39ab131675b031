"""Combines the results of one configuration trained with several seeds into one result.

The combined result holds, in every metric field, the mean over the seeds whose run is ok;
`seed_stats[metric]` holds the per-seed values (None for a seed that did not produce the
metric: it failed, diverged, or did not reach the target) with their mean, sample std and
95% t-interval, and `n`, the number of values they come from (std and ci95 are None when
n < 2). Everything else — history, step times, devices — is the first seed's.
"""

from __future__ import annotations

import dataclasses

from bench_lib.record import stats
from bench_lib.record.result import RunResult

# The fields that get a mean and an interval over seeds.
SEEDED_METRICS = (
    "test_accuracy",
    "test_loss",
    "train_accuracy",
    "train_loss",
    "generalization_gap_accuracy",
    "generalization_gap_loss",
    "examples_per_sec",
    "achieved_gflops",
    "mfu",
    "steps_to_target",
    "examples_to_target",
    "seconds_to_target",
    "sharpness",
    "noise_scale",
    "critical_batch_size_estimate",
    "peak_rss_mib",
    "rss_growth_mib",
    "tf_peak_mib",
    "wall_s",
)


def combine(results: list[RunResult]) -> RunResult:
    """One result for the same configuration run with different seeds, first seed's spec and details.

    The combined status is ok when every seed's is; otherwise the first bad seed's status and
    error (prefixed with its seed), with the statistics over the ok seeds.

    Raises:
      ValueError: no results, or results of different configurations or repeated seeds.
    """
    if not results:
        raise ValueError("combine needs at least one result")
    first = results[0]
    seeds = [r.spec.seed for r in results]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds={seeds!r} is not allowed: each seed once")
    base = first.spec.replace(seeds=1, seed=0)
    for r in results[1:]:
        if r.spec.replace(seeds=1, seed=0) != base:
            raise ValueError(f"combine got different configurations: {first.spec.id} and {r.spec.id}")
    ok = [r.status == "ok" for r in results]
    seed_stats = {
        name: stats.summary([getattr(r, name) if good else None for r, good in zip(results, ok, strict=True)])
        for name in SEEDED_METRICS
    }
    bad = next((r for r in results if r.status != "ok"), None)
    changes: dict[str, object] = {name: seed_stats[name]["mean"] for name in SEEDED_METRICS}
    if bad is not None:
        changes |= {
            "status": bad.status,
            "error": f"seed {bad.spec.seed}: {bad.error or bad.status}",
            "diverged_at_step": bad.diverged_at_step,
        }
    return dataclasses.replace(
        first,
        spec=first.spec.replace(seeds=len(results)),
        seeds=seeds,
        seed_statuses=[r.status for r in results],
        seed_stats=seed_stats,
        **changes,
    )
