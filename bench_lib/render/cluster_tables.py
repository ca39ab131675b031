"""Renders what several replicas cost: the `allreduce` command's sweep, and scaling efficiency.

Takes the rows bench_lib.maths.allreduce_figures and bench_lib.analysis.scaling compute and the
network label analysis.scaling.network gives; computes nothing itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bench_lib.config.wording import count
from bench_lib.maths.allreduce_figures import size_text
from bench_lib.render.tables import Table


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
