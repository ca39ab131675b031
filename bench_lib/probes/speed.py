"""Measures the limit a training step is judged against: the devices' matmul peak.

The peak is calibrated once per process and device with a float32 matrix product (2048 x 2048
by default, 2 x n^3 FLOPs), the best of several timed calls after warm-up: the rate the device
reaches on the operation that dominates the models here, the denominator of model FLOPs
utilization (MFU). Logical CPU devices share the host's cores, so a set of them has the peak of
one; GPUs add up.

On a CPU the peak is the better of two kernels: TensorFlow's own matmul and the host BLAS that
numpy links (OpenBLAS in numpy's wheels). TensorFlow's kernel depends on how the process started:
without TF_ENABLE_ONEDNN_OPTS=1 it is Eigen wherever the CPU lacks AVX-512 VNNI/BF16 or AMX, and
Eigen reaches only about 70 % of the rate oneDNN and OpenBLAS reach on the same cores (docs/performance.md,
"FLOPs, peak and MFU"). The peak is what the hardware does, not what one library does, so a run
is judged against the same denominator whichever kernel it happens to use. A CPU kernel's call
is also rated by the process's CPU time spread over the host's cores, so that a calibration on a
loaded machine still finds the cores' rate instead of a lower one that would inflate MFU.

TFBENCH_PEAK_GFLOPS, when set, is the peak instead and nothing is calibrated: a vendor's
datasheet figure for a GPU, the same denominator for every machine of a comparison, or a test
session's processes sparing the two seconds calibration takes.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping

import numpy as np
import tensorflow as tf

CALIBRATION_SIZE = 2048
CALIBRATION_REPEATS = 8


PEAK_VARIABLE = "TFBENCH_PEAK_GFLOPS"


def peak_gflops(devices: list[str]) -> float:
    """The summed matmul peak of the physical devices behind the given replica devices, in GFLOP/s.

    Raises:
      ValueError: TFBENCH_PEAK_GFLOPS is set but not a positive number.
    """
    declared = declared_peak_gflops()
    if declared is not None:
        return declared
    gpus = [d for d in devices if "GPU" in d.upper()]
    if gpus:
        return sum(device_peak_gflops(d) for d in gpus)
    return device_peak_gflops(devices[0])


def declared_peak_gflops(environ: Mapping[str, str] = os.environ) -> float | None:
    """TFBENCH_PEAK_GFLOPS as a number, or None where it is not set.

    Raises:
      ValueError: it is set but not a positive number.
    """
    text = environ.get(PEAK_VARIABLE)
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < float("inf"):
        raise ValueError(f"{PEAK_VARIABLE}={text!r} is not allowed: the devices' peak in GFLOP/s, a positive number")
    return value


@functools.cache
def device_peak_gflops(device: str, size: int = CALIBRATION_SIZE, repeats: int = CALIBRATION_REPEATS) -> float:
    """Best float32 matmul rate of one device in GFLOP/s; measured once per process (one to two seconds)."""
    rate = _tensorflow_matmul_gflops(device, size, repeats)
    if "CPU" in device.upper():
        rate = max(rate, _host_blas_matmul_gflops(size, repeats))
    return rate


def _tensorflow_matmul_gflops(device: str, size: int, repeats: int) -> float:
    with tf.device(device):
        a = tf.random.stateless_uniform((size, size), seed=(1, 2))
        b = tf.random.stateless_uniform((size, size), seed=(3, 4))

        @tf.function
        def product() -> tf.Tensor:
            # Reading back one element waits for the whole product without copying it.
            return tf.matmul(a, b)[0, 0]

        cores = _host_cores() if "CPU" in device.upper() else None
        return _best_gflops(lambda: product().numpy(), size, repeats, cores=cores)


def _host_blas_matmul_gflops(size: int, repeats: int) -> float:
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    return _best_gflops(lambda: a @ b, size, repeats, cores=_host_cores())


def _best_gflops(product: Callable[[], object], size: int, repeats: int, *, cores: int | None) -> float:
    """The best rate of `repeats` timed calls after a warm-up call.

    With `cores` (a kernel running on this host's CPU) each call is also rated by the CPU time
    the process spent on it, spread over the cores: other processes that take the cores away
    stretch a call's wall time but not its CPU time, so on a loaded machine this still finds
    the rate the cores reach. Threads that spin while waiting only add CPU time and lower it;
    what it assumes is that the cores together do what each does alone, which holds for a
    compute-bound product up to the clock boost one busy core may get while the other waits.
    """
    product()  # trace, warm up, start the kernel's threads
    flops = 2 * size**3
    best = 0.0
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        product()
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        best = max(best, flops / wall)
        if cores is not None and cpu > 0:
            best = max(best, flops / (cpu / cores))
    return best / 1e9


def _host_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
