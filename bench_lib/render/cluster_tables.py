"""Renders what several replicas cost: all-reduce sweeps, the gradient all-reduce's share of a step, scaling.

Takes the rows bench_lib.analysis.allreduce and bench_lib.analysis.scaling compute and the network
label analysis.scaling.network gives; computes nothing itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bench_lib.analysis import allreduce
from bench_lib.config.plural import count
from bench_lib.render.tables import Table


def size_text(size_bytes: int) -> str:
    """e.g. '256 MiB', '4 KiB', '100 B'."""
    for unit, factor in (("MiB", allreduce.MIB), ("KiB", allreduce.KIB)):
        if size_bytes >= factor and size_bytes % factor == 0:
            return f"{size_bytes // factor} {unit}"
    return f"{size_bytes} B"


def _shape(spec: Mapping[str, object]) -> str:
    return f"{count(spec.get('replicas'), 'replica')} ({count(spec.get('workers', 1), 'worker')})"


def sweep_lines(sweep: Mapping[str, object]) -> list[str]:
    """A sweep as the `allreduce` command prints it: a header, one line per size, and the latency."""
    lines = [
        f"{sweep['id']}: all-reduce of float32 buffers over {_shape(sweep['spec'])}",
        f"{'size':>10} {'time us':>12} {'algbw GB/s':>11} {'busbw GB/s':>11}",
    ]
    for r in sweep["rows"]:
        size = size_text(r["size_bytes"])
        lines.append(f"{size:>10} {r['time_us']:>12.1f} {r['algbw_gbps']:>11.3f} {r['busbw_gbps']:>11.3f}")
    if sweep.get("latency_us") is not None:
        lines.append(f"latency (median time up to 16 KiB): {sweep['latency_us']:.1f} us")
    return lines


def sweep_table(sweep: Mapping[str, object], network: str) -> Table:
    """One sweep as a report table, titled with its strategy, latency and the network between its workers."""
    spec = sweep["spec"]
    latency = sweep.get("latency_us")
    title = f"{sweep['id']}: {spec.get('strategy')}, {spec.get('replicas')} replicas"
    if (workers := spec.get("workers") or 1) > 1:
        title += f" on {workers} workers, over {network}"
    if latency is not None:
        title += f"; latency (median time up to 16 KiB) {latency:.1f} us"
    rows = [
        (size_text(r["size_bytes"]), f"{r['time_us']:.1f}", f"{r['algbw_gbps']:.3f}", f"{r['busbw_gbps']:.3f}")
        for r in sweep["rows"]
    ]
    return Table(title, ("size", "time per all-reduce, us", "algbw, GB/s", "busbw, GB/s"), rows)


SHARE_TITLE = (
    "Gradient all-reduce share of the optimizer step (an estimate: every gradient in one all-reduce, "
    "timed by the sweep at that size, over the median step time)"
)


def share_table(rows: Sequence[Mapping[str, object]]) -> Table:
    """analysis.allreduce.communication_share_rows as a table; a size outside the sweep is marked."""
    cells = [
        (
            str(r["id"]),
            str(r["sweep_id"]),
            f"{r['gradient_mib']:,.2f}" + ("" if r["within_sweep"] else " (outside the sweep's sizes)"),
            f"{r['all_reduce_ms']:,.3f}",
            f"{r['step_time_ms']:,.3f}",
            f"{r['share']:.1%}",
        )
        for r in rows
    ]
    header = ("configuration", "sweep", "gradients, MiB", "all-reduce, ms", "step, ms", "share of step")
    return Table(SHARE_TITLE, header, cells)


SCALING_TITLE = (
    "Scaling efficiency: R replicas' examples/s over R times one replica's (replicas sharing one machine's "
    "cores measure the strategy's overhead, not a speed-up)"
)


def scaling_table(rows: Sequence[Mapping[str, object]], network: str) -> Table:
    """analysis.scaling.scaling_rows, with the network each row's workers talked over ('in-process' for one)."""
    header = ("configuration", "scaling", "vs one replica", "workers", "replicas", "ex/s", "one-replica ex/s",
              "efficiency", "network")  # fmt: skip
    cells = [
        (
            str(r["id"]),
            str(r["kind"]),
            str(r["one_replica_id"]),
            str(r.get("workers") or 1),
            str(r["replicas"]),
            f"{r['examples_per_sec']:,.0f}",
            f"{r['one_replica_examples_per_sec']:,.0f}",
            f"{r['efficiency']:.2f}",
            network if (r.get("workers") or 1) > 1 else "in-process",
        )
        for r in rows
    ]
    return Table(SCALING_TITLE, header, cells)
