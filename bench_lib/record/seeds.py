"""Combines the results of one configuration trained with several seeds into one result.

The combined result holds, in the field of every seeded metric (bench_lib.record.metrics), the
mean over the seeds whose run is ok; `seed_stats[metric]` holds the per-seed values (None for a
seed that did not produce the metric: it failed, diverged, or did not reach the target) with
their mean, sample std and 95% t-interval, and `n`, the number of values they come from (std
and ci95 are None when n < 2). Everything else — history, step times, devices — is the first
seed's.
"""

from __future__ import annotations

import dataclasses

from bench_lib.maths import stats
from bench_lib.record import metrics
from bench_lib.record.result import RunResult


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
    seeded = [m.key for m in metrics.METRICS if m.seeded]
    seed_stats = {
        name: stats.summary([getattr(r, name) if good else None for r, good in zip(results, ok, strict=True)])
        for name in seeded
    }
    bad = next((r for r in results if r.status != "ok"), None)
    changes: dict[str, object] = {name: seed_stats[name]["mean"] for name in seeded}
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


# The seeded metrics a further seed's run joins (extend): what training reached, which does not depend
# on the process it trained in. Timings and memory (examples/s, seconds to target, wall and CPU
# time, peak memory, GFLOP/s) stay the first pass's: a further seed trains late in the session,
# prepared afresh, and a process's peak memory is its whole life's.
EXTENDED = frozenset(
    {
        "test_accuracy",
        "test_loss",
        "train_accuracy",
        "train_loss",
        "generalization_gap_accuracy",
        "generalization_gap_loss",
        "steps_to_target",
        "examples_to_target",
        "sharpness",
        "noise_scale",
        "critical_batch_size_estimate",
    }
)


def extend(combined: dict, more: list[RunResult]) -> dict:
    """A result dict of one configuration (as saved: combined over its seeds) with further seeds' results added.

    The seed_stats and mean of every metric in EXTENDED are taken again over all the seeds, as
    combine() takes them, a further seed that did not end ok giving None; `seeds`,
    `seed_statuses` and the spec's seed count grow. The status stays the combined one (a further
    seed that failed or diverged shows only in seed_statuses, so the configuration is still one
    result with its first pass's status). Everything else — the other metrics (timings, memory),
    history, a question's extra keys — stays the first pass's.

    Raises:
      ValueError: a further result of another configuration, or of a seed the result already has.
    """
    from bench_lib.config.spec import RunSpec

    spec = RunSpec.from_dict(dict(combined["spec"]))
    earlier = list(combined.get("seeds") or [spec.seed])
    seeds = [*earlier, *(r.spec.seed for r in more)]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds={seeds!r} is not allowed: each seed once")
    for r in more:
        if r.spec.replace(seeds=1, seed=0) != spec.replace(seeds=1, seed=0):
            raise ValueError(f"extend got different configurations: {spec.id} and {r.spec.id}")
    out = dict(combined)
    seed_stats = dict(combined.get("seed_stats") or {})
    for name in (m.key for m in metrics.METRICS if m.seeded and m.key in EXTENDED):
        # Without per-seed values, one seed's value is the result's; the mean of several is no seed's value.
        alone = [combined.get(name)] if len(earlier) == 1 else [None] * len(earlier)
        before = (seed_stats.get(name) or {}).get("values") or alone
        after = [getattr(r, name) if r.status == "ok" else None for r in more]
        seed_stats[name] = stats.summary([*before, *after])
        out[name] = seed_stats[name]["mean"]
    statuses = list(combined.get("seed_statuses") or [])
    statuses += [combined.get("status", "ok")] * (len(earlier) - len(statuses))
    out["seeds"] = seeds
    out["seed_statuses"] = [*statuses, *(r.status for r in more)]
    out["seed_stats"] = seed_stats
    out["spec"] = {**combined["spec"], "seeds": len(seeds)}
    return out
