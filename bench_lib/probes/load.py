"""Measures how busy the machine is with other work: load averages and the cores other processes used during a run.

TensorFlow-free, so the suite can take the first snapshot before TensorFlow starts.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class LoadSnapshot:
    wall_s: float  # time.monotonic()
    load_average: tuple[float, float, float]  # 1, 5 and 15 minutes
    busy_cpu_s: float  # CPU seconds of every process on every core, hypervisor steal included
    own_cpu_s: float  # CPU seconds of this process and the children it waited for


def snapshot() -> LoadSnapshot:
    system, own = psutil.cpu_times(), psutil.Process().cpu_times()
    busy = sum(getattr(system, f, 0.0) for f in ("user", "nice", "system", "irq", "softirq", "steal"))
    mine = own.user + own.system + own.children_user + own.children_system
    return LoadSnapshot(time.monotonic(), tuple(os.getloadavg()), busy, mine)


def others_cpu_cores(start: LoadSnapshot, end: LoadSnapshot) -> float | None:
    """The average number of cores other processes kept busy between two snapshots; None if no time passed."""
    wall = end.wall_s - start.wall_s
    if wall <= 0:
        return None
    others = (end.busy_cpu_s - start.busy_cpu_s) - (end.own_cpu_s - start.own_cpu_s)
    return max(others, 0.0) / wall


def load_facts(start: LoadSnapshot, end: LoadSnapshot) -> dict[str, object]:
    """The machine-info fields of a run's load: load averages at its start and end, other processes' cores."""
    others = others_cpu_cores(start, end)
    return {
        "load_average_start": [round(x, 2) for x in start.load_average],
        "load_average_end": [round(x, 2) for x in end.load_average],
        "others_cpu_cores": None if others is None else round(others, 2),
    }
