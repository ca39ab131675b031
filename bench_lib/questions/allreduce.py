"""The all-reduce question: bandwidth (algbw, busbw) and latency of the run's multi-replica strategies.

Its benchmark saves each strategy's sweep (bench_lib.maths.allreduce_figures.sweep) in place of a
training result; its report section shows every sweep, then the estimated share of the run's
training steps their gradient all-reduce takes.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench_lib.maths import allreduce_figures as allreduce
from bench_lib.questions.registry import Page, Question, RowsTable
from bench_lib.record.metrics import ResultKey


@dataclass(frozen=True, kw_only=True)
class Sizes:
    sizes_bytes: tuple[int, ...]  # float32 buffers, each all-reduced across every replica


SWEEP_COLUMNS = (
    ("size", "size_bytes", allreduce.size_text),
    ("time per all-reduce, us", "time_us", ".1f"),
    ("algbw, GB/s", "algbw_gbps", ".3f"),
    ("busbw, GB/s", "busbw_gbps", ".3f"),
)
SHARE_TITLE = (
    "Gradient all-reduce share of the optimizer step (an estimate: every gradient in one all-reduce, "
    "timed by the sweep at that size, over the median step time)"
)


def _gradients(row: Mapping[str, object]) -> str:
    return f"{row['gradient_mib']:,.2f}" + ("" if row["within_sweep"] else " (outside the sweep's sizes)")


SHARE_COLUMNS = (
    ("configuration", "id", "s"),
    ("sweep", "sweep_id", "s"),
    ("gradients, MiB", "gradients", "s"),
    ("all-reduce, ms", "all_reduce_ms", ",.3f"),
    ("step, ms", "step_time_ms", ",.3f"),
    ("share of step", "share", ".1%"),
)


def sweep_title(sweep: Mapping[str, object], network: str) -> str:
    """The strategy, its replicas and workers (with the network between them) and the latency."""
    spec = sweep["spec"]
    title = f"{sweep['id']}: {spec.get('strategy')}, {spec.get('replicas')} replicas"
    if (workers := spec.get("workers") or 1) > 1:
        title += f" on {workers} workers, over {network}"
    if (latency := sweep.get("latency_us")) is not None:
        title += f"; latency (median time up to 16 KiB) {latency:.1f} us"
    return title


def saved_tables(
    sweeps: Sequence[Mapping[str, object]], results: list[Mapping[str, object]], network: str
) -> list[RowsTable]:
    """Each sweep, then the estimated gradient all-reduce share of the run's training configurations it times."""
    tables = [RowsTable(title=sweep_title(s, network), columns=SWEEP_COLUMNS, rows=list(s["rows"])) for s in sweeps]
    shares = [{**row, "gradients": _gradients(row)} for row in allreduce.communication_share_rows(sweeps, results)]
    return tables + ([RowsTable(title=SHARE_TITLE, columns=SHARE_COLUMNS, rows=shares)] if shares else [])


QUESTION = Question(
    name="allreduce",
    title="All-reduce bandwidth",
    order=115,
    # Two sizes within the latency range (up to 16 KiB), then up to the wide MLP's gradients and beyond.
    quick=Sizes(sizes_bytes=tuple(allreduce.KIB * 16**k for k in range(5))),  # 1 KiB, 16 KiB, ..., 64 MiB
    full=Sizes(sizes_bytes=allreduce.DEFAULT_SIZES),  # 1 KiB, 4 KiB, ..., 256 MiB
    saved_keys=frozenset({"id", "spec", "rows", "latency_us"}),
    saved_tables=saved_tables,
    result_keys=(
        ResultKey(
            "rows, latency_us",
            "The allreduce question's sweep, saved in place of a result (with `id` and `spec`): per buffer size "
            "`size_bytes`, `time_us`, `algbw_gbps` and `busbw_gbps`; the median time up to 16 KiB.",
        ),
    ),
    page=Page(
        path="allreduce.md",
        nav="All-reduce bandwidth",
        asks="How fast does the strategy sum gradients, and what share of a step is it?",
        quick_grid="`mirrored`, 2 replicas, float32 buffers of 1 KiB to 64 MiB",
    ),
)
