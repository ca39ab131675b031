"""Turns timed all-reduces into nccl-tests' figures: algorithm bandwidth, bus bandwidth and latency.

algbw is the bytes of one replica's buffer over the time of one all-reduce. busbw scales it by
2(n-1)/n, the share of the buffer each of n replicas must send and receive in a ring all-reduce,
so that it reads against the link's own bandwidth whatever n is (NVIDIA's nccl-tests,
doc/PERFORMANCE.md). At small sizes the time is latency, not bandwidth. Pure: numbers in, rows out.
"""

from __future__ import annotations

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
