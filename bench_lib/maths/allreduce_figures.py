"""Turns timed all-reduces into nccl-tests' figures: algorithm bandwidth, bus bandwidth and latency.

algbw is the bytes of one replica's buffer over the time of one all-reduce. busbw scales it by
2(n-1)/n, the share of the buffer each of n replicas must send and receive in a ring all-reduce,
so that it reads against the link's own bandwidth whatever n is (NVIDIA's nccl-tests,
doc/PERFORMANCE.md). At small sizes the time is latency, not bandwidth. A sweep (one strategy's
rows) also estimates the share of a training step its gradient all-reduce takes. Pure: numbers
in, rows out.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping

KIB = 1024
MIB = 1024 * KIB
# 1 KiB, 4 KiB, ..., 256 MiB: what the bandwidth command sweeps by default.
DEFAULT_SIZES = tuple(KIB * 4**k for k in range(10))


def bus_factor(replicas: int) -> float:
    """2(n-1)/n: busbw / algbw for an all-reduce over n replicas (0 for one replica: nothing moves)."""
    if replicas < 1:
        raise ValueError(f"replicas={replicas!r} is not allowed: a whole number >= 1")
    return 2 * (replicas - 1) / replicas


def iterations_for(size_bytes: int) -> int:
    """Timed all-reduces at one size: many when small, a few when large; the same on every worker."""
    return max(3, min(50, (64 * MIB) // size_bytes))


def row(size_bytes: int, seconds_per_op: float, replicas: int) -> dict[str, float]:
    """One size's figures: time in microseconds, algbw and busbw in GB/s (10^9 bytes, as nccl-tests)."""
    algbw = size_bytes / seconds_per_op / 1e9
    return {
        "size_bytes": size_bytes,
        "time_us": seconds_per_op * 1e6,
        "algbw_gbps": algbw,
        "busbw_gbps": algbw * bus_factor(replicas),
    }


def small_size_latency_us(rows: list[dict[str, float]], up_to_bytes: int = 16 * KIB) -> float | None:
    """The median time of the sizes up to `up_to_bytes`: the all-reduce's latency; None without any."""
    times = sorted(r["time_us"] for r in rows if r["size_bytes"] <= up_to_bytes)
    if not times:
        return None
    middle = len(times) // 2
    return times[middle] if len(times) % 2 else (times[middle - 1] + times[middle]) / 2


def parse_size(text: str) -> int:
    """'1KiB', '256MiB', '4096' -> bytes.

    Raises:
      ValueError: naming the text and the forms allowed.
    """
    units = {"GIB": 1024 * MIB, "MIB": MIB, "KIB": KIB, "B": 1}
    upper = text.strip().upper()
    for unit, factor in units.items():
        if upper.endswith(unit) and upper[: -len(unit)].strip().isdigit():
            value = int(upper[: -len(unit)]) * factor
            break
    else:
        value = int(upper) if upper.isdigit() else 0
    if value < 4:
        raise ValueError(f"size={text!r} is not allowed: bytes >= 4, e.g. 4096, 1KiB, 256MiB")
    return value


def size_text(size_bytes: int) -> str:
    """The inverse of parse_size: e.g. '256 MiB', '4 KiB', '100 B'."""
    for unit, factor in (("MiB", MIB), ("KiB", KIB)):
        if size_bytes >= factor and size_bytes % factor == 0:
            return f"{size_bytes // factor} {unit}"
    return f"{size_bytes} B"


def sweep(run_id: str, spec: Mapping[str, object], rows: list[dict[str, float]]) -> dict[str, object]:
    """One strategy's sweep as saved (the suite's extra_info, the command's --json): id, spec, rows, latency_us."""
    return {"id": run_id, "spec": dict(spec), "rows": rows, "latency_us": small_size_latency_us(rows)}


def seconds_at(rows: list[Mapping[str, float]], size_bytes: int) -> float:
    """The time of one all-reduce of `size_bytes`, from a sweep's rows.

    Between two measured sizes, interpolated on log size and log time (a power law through both);
    below the smallest, the smallest's time (latency is the floor); above the largest, at the
    largest's algbw (the time grows with the bytes).

    Raises:
      ValueError: rows is empty.
    """
    if not rows:
        raise ValueError("rows=[] is not allowed: a sweep of at least one size")
    points = sorted((r["size_bytes"], r["time_us"] / 1e6) for r in rows)
    if size_bytes <= points[0][0]:
        return points[0][1]
    if size_bytes >= points[-1][0]:
        return points[-1][1] * size_bytes / points[-1][0]
    above = bisect.bisect_left([size for size, _ in points], size_bytes)  # the first size >= size_bytes
    (low, low_s), (high, high_s) = points[above - 1], points[above]
    fraction = math.log(size_bytes / low) / math.log(high / low)
    return math.exp(math.log(low_s) + fraction * math.log(high_s / low_s))


# The spec fields a training run and a sweep must share for the sweep to time the run's all-reduce.
SAME_ALL_REDUCE = ("strategy", "replicas", "workers", "collective", "bytes_per_pack")
GRADIENT_BYTES_PER_PARAMETER = 4  # float32 gradients; mixed_float16 keeps float32 variables, so these too


def communication_share_rows(
    sweeps: Iterable[Mapping[str, object]], results: Iterable[Mapping[str, object]]
) -> list[dict[str, object]]:
    """For every ok training result of more than one replica with a sweep on the same all-reduce: an estimate
    of the share of its optimizer step spent all-reducing its gradients.

    The estimate is one all-reduce of every gradient at once (parameters x 4 bytes) at the sweep's
    measured time for that size (seconds_at), over the run's median step time. It is an estimate:
    TensorFlow may split the gradients into several all-reduces (more latency) or overlap them with
    the backward pass (less time in the step).
    """
    sweeps, rows, seen = list(sweeps), [], set()
    for result in results:
        if result.get("id") in seen:  # one configuration asked by two questions: one row
            continue
        spec, step = result.get("spec") or {}, result.get("step_time_ms") or {}
        if result.get("status") != "ok" or not result.get("parameters") or not step.get("median"):
            continue
        if (spec.get("replicas") or 1) < 2:
            continue
        found = next((s for s in sweeps if _same_all_reduce(s["spec"], spec)), None)
        if found is None or not found["rows"]:
            continue
        seen.add(result["id"])
        gradient_bytes = result["parameters"] * GRADIENT_BYTES_PER_PARAMETER
        all_reduce_ms = seconds_at(found["rows"], gradient_bytes) * 1e3
        sizes = [r["size_bytes"] for r in found["rows"]]
        rows.append(
            {
                "id": result["id"],
                "sweep_id": found["id"],
                "gradient_mib": gradient_bytes / MIB,
                "all_reduce_ms": all_reduce_ms,
                "step_time_ms": step["median"],
                "share": all_reduce_ms / step["median"],
                "within_sweep": min(sizes) <= gradient_bytes <= max(sizes),
            }
        )
    return rows


def _same_all_reduce(sweep_spec: Mapping[str, object], spec: Mapping[str, object]) -> bool:
    defaults = {"workers": 1, "collective": "auto", "bytes_per_pack": 0}
    return all(sweep_spec.get(k, defaults.get(k)) == spec.get(k, defaults.get(k)) for k in SAME_ALL_REDUCE)
