"""Pairs multi-replica results with their one-replica counterparts: strong and weak scaling efficiency.

Strong scaling keeps the global batch (R replicas share the work of one); weak scaling keeps
the per-replica batch (R replicas do R times the work). Either way the efficiency is the R
replicas' examples per second over R times one replica's (bench_lib.record.stats.scaling_efficiency).
On a CPU split into logical devices the replicas share the same cores, so the figure measures
the strategy's overhead, not a speed-up. Pure: result dicts in, rows of plain values out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bench_lib.record import stats

# Spec fields that may differ between a multi-replica run and its one-replica counterpart: the
# shape, and multi_worker's all-reduce settings (one_device has none), so that 1 -> N workers pair.
_VARYING = (
    "strategy",
    "replicas",
    "workers",
    "global_batch_size",
    "collective",
    "bytes_per_pack",
    "collective_timeout_s",
)


def _key(result: Mapping[str, object]) -> tuple:
    spec = result["spec"]
    return tuple(sorted((k, str(v)) for k, v in spec.items() if k not in _VARYING))


def scaling_rows(results: Iterable[Mapping[str, object]]) -> list[dict[str, object]]:
    """One row per multi-replica result and kind ('strong', 'weak') whose one-replica run is present."""
    ok = [r for r in results if r.get("status") == "ok" and r.get("examples_per_sec")]
    single = {(_key(r), r["global_batch_size"]): r for r in ok if r["replicas"] == 1}
    rows = []
    for run in ok:
        replicas = run["replicas"]
        if replicas == 1:
            continue
        batches = {"strong": run["global_batch_size"], "weak": run["global_batch_size"] // replicas}
        for kind, batch in batches.items():
            base = single.get((_key(run), batch))
            if base is None:
                continue
            rows.append(
                {
                    "id": run["id"],
                    "kind": kind,
                    "one_replica_id": base["id"],
                    "replicas": replicas,
                    "examples_per_sec": run["examples_per_sec"],
                    "one_replica_examples_per_sec": base["examples_per_sec"],
                    "efficiency": stats.scaling_efficiency(base["examples_per_sec"], run["examples_per_sec"], replicas),
                }
            )
    return rows
