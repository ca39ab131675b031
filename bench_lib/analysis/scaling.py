"""Pairs multi-replica results with their one-replica counterparts: strong and weak scaling efficiency.

Strong scaling keeps the global batch (R replicas share the work of one); weak scaling keeps
the per-replica batch (R replicas do R times the work). Either way the efficiency is the R
replicas' examples per second over R times one replica's (bench_lib.maths.stats.scaling_efficiency).
On a CPU split into logical devices the replicas share the same cores, so the figure measures
the strategy's overhead, not a speed-up. Across workers the figure depends on the network between
them, which network() names from the saved run's cluster. Pure: result dicts in, rows of plain
values out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

from bench_lib.maths import stats

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
                    "workers": run.get("workers") or 1,
                    "examples_per_sec": run["examples_per_sec"],
                    "one_replica_examples_per_sec": base["examples_per_sec"],
                    "efficiency": stats.scaling_efficiency(base["examples_per_sec"], run["examples_per_sec"], replicas),
                }
            )
    return rows


# `launch --netns` addresses its workers in the range reserved for benchmarking networks (RFC 2544).
_BENCHMARKING = ipaddress.ip_network("198.18.0.0/15")


def network(cluster: Mapping[str, object] | None) -> str:
    """What carried a run's traffic between workers, from its saved cluster (machine_info's tfbench_cluster):
    'one process', 'loopback', 'netns veth', 'slurm: <hosts>', 'network: <hosts>', or 'not recorded'."""
    if not cluster:
        return "not recorded"
    hosts = [str(a).rsplit(":", 1)[0].strip("[]") for a in cluster.get("addresses") or ()]
    if (cluster.get("workers") or 1) < 2 or not hosts:
        return "one process"
    if cluster.get("source") == "slurm":
        return f"slurm: {', '.join(dict.fromkeys(hosts))}"
    kinds = {_kind(host) for host in hosts}
    if kinds == {"loopback"}:
        return "loopback"
    if kinds == {"benchmarking"}:
        return "netns veth"
    return f"network: {', '.join(dict.fromkeys(hosts))}"


def _kind(host: str) -> str:
    if host == "localhost":
        return "loopback"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "named host"
    if address.is_loopback:
        return "loopback"
    return "benchmarking" if address in _BENCHMARKING else "other"
