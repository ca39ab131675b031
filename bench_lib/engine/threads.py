"""Fixes TensorFlow's thread pools and the process's CPU affinity, and tells what is in effect.

Between-process spread of step time falls when the thread counts are fixed rather than left to
TensorFlow (one thread per core in each pool, each process placing its threads anew), so the
nightly profile fixes them (bench_lib/suite/profiles.py). Call apply() before any TensorFlow op:
the pools are built when the runtime starts. A process started from this one inherits the
affinity; its thread counts it gets from TF_NUM_INTRAOP_THREADS and TF_NUM_INTEROP_THREADS
(environment()).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import tensorflow as tf


def apply(
    *, intra_op: int | None, inter_op: int | None, cpus: Sequence[int] | None, cpu_count: int | None = None
) -> None:
    """Sets what is given; None leaves TensorFlow's (or the process's) own choice.

    cpus: the CPUs the process may run on; cpu_count: then only the first this many of them.

    Raises:
      ValueError: a count below 1, or CPUs this machine does not have (naming them).
    """
    for name, count in (("intra_op_threads", intra_op), ("inter_op_threads", inter_op), ("cpu_count", cpu_count)):
        if count is not None and count < 1:
            raise ValueError(f"{name}={count!r} is not allowed: a whole number >= 1, or unset")
    available = os.sched_getaffinity(0)
    if cpus is not None:
        if not cpus or not set(cpus) <= available:
            raise ValueError(f"cpu_affinity={tuple(cpus)!r} is not allowed: CPUs among {sorted(available)}")
        available = set(cpus)
    if cpus is not None or cpu_count is not None:
        os.sched_setaffinity(0, set(sorted(available)[:cpu_count]))
    if intra_op is not None:
        tf.config.threading.set_intra_op_parallelism_threads(intra_op)
    if inter_op is not None:
        tf.config.threading.set_inter_op_parallelism_threads(inter_op)


def in_effect() -> dict[str, object]:
    """{"intra_op_threads", "inter_op_threads" (0: TensorFlow's own choice), "cpu_affinity": sorted CPUs}."""
    return {
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "cpu_affinity": sorted(os.sched_getaffinity(0)),
    }


def environment() -> dict[str, str]:
    """The variables that give a child process this process's fixed thread counts (none where unset)."""
    fixed = in_effect()
    names = {"intra_op_threads": "TF_NUM_INTRAOP_THREADS", "inter_op_threads": "TF_NUM_INTEROP_THREADS"}
    return {variable: str(fixed[key]) for key, variable in names.items() if fixed[key]}
