"""Measures the limit a training step is judged against: the devices' matmul peak in the step's precision.

The peak is calibrated once per process, device and precision with a matrix product (2048 x 2048
by default, 2 x n^3 FLOPs), the best of several timed calls after warm-up: the rate the device
reaches on the operation that dominates the models here, the denominator of model FLOPs
utilization (MFU). Logical CPU devices share the host's cores, so a set of them has the peak of
one; GPUs add up.

The product runs in the precision the step's matrix products run in (matmul_precision): float32
for a float32 step, bfloat16 under mixed_bfloat16, float16 under mixed_float16, and on a GPU
where TensorFlow enables TensorFloat-32 a float32 step's products run in TF32, which the float32
product calibrates by itself (it is labelled `tensorfloat32`). Reduced precision is several times
faster where the hardware has it (AMX or AVX512_BF16 for bfloat16 on a CPU, tensor cores on a
GPU) and slower where it is emulated (bfloat16 on an AVX2 CPU): one peak for every precision
would put a mixed-precision step's MFU against the wrong denominator in either direction.

On a CPU the peak is the better of two kernels: TensorFlow's own matmul and the host BLAS that
numpy links (OpenBLAS in numpy's wheels). TensorFlow's kernel depends on how the process started:
without TF_ENABLE_ONEDNN_OPTS=1 it is Eigen wherever the CPU lacks AVX-512 VNNI/BF16 or AMX, and
Eigen reaches a lower rate than oneDNN and OpenBLAS on the same cores (docs/performance.md, "FLOPs, peak
and MFU", has the figure). The peak is what the hardware does, not what one library does, so a run
is judged against the same denominator whichever kernel it happens to use. numpy has no bfloat16
and no float16 BLAS, so the reduced-precision peaks are TensorFlow's kernel's. A CPU kernel's call
is also rated by the process's CPU time spread over the host's cores, so that a calibration on a
loaded machine still finds the cores' rate instead of a lower one that would inflate MFU.

TFBENCH_PEAK_GFLOPS, when set, is the peak instead and nothing is calibrated: a vendor's
datasheet figure for a GPU, the same denominator for every machine of a comparison, or a test
session's processes sparing the two seconds calibration takes. It stands for every precision;
TFBENCH_PEAK_GFLOPS_BFLOAT16, _FLOAT16 and _TENSORFLOAT32 declare one precision's peak apart
(a datasheet gives one figure per precision).
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

# The precision a step's matrix products run in, for each RunSpec precision (a Keras policy's compute dtype).
SPEC_MATMUL_PRECISION = {"float32": "float32", "mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}
TF32_CAPABILITY = (8, 0)  # Ampere: the first GPUs with TF32 tensor cores
# Each precision a peak is calibrated in, and the dtype its product is computed in.
CALIBRATION_DTYPES = {"float32": tf.float32, "bfloat16": tf.bfloat16, "float16": tf.float16,
                      "tensorfloat32": tf.float32}  # fmt: skip


def matmul_precision(
    precision: str,
    devices: list[str],
    *,
    tf32_enabled: bool | None = None,
    gpu_capabilities: list[str | None] | None = None,
) -> str:
    """The precision the matrix products of a step in `precision` (a RunSpec precision) run in on `devices`.

    A float32 step on GPUs runs its products in TensorFloat-32 where TensorFlow enables it (its
    default; tf.config.experimental.enable_tensor_float_32_execution turns it off) and every GPU
    has TF32 tensor cores (compute capability 8.0, Ampere, or later). tf32_enabled and
    gpu_capabilities default to this process's.

    Raises:
      ValueError: an unknown precision.
    """
    if precision not in SPEC_MATMUL_PRECISION:
        raise ValueError(f"precision={precision!r} is not allowed: use one of {', '.join(SPEC_MATMUL_PRECISION)}")
    if precision != "float32" or not any("GPU" in d.upper() for d in devices):
        return SPEC_MATMUL_PRECISION[precision]
    if tf32_enabled is None:
        tf32_enabled = tf.config.experimental.tensor_float_32_execution_enabled()
    if gpu_capabilities is None:
        from bench_lib.probes import machine

        gpu_capabilities = machine.gpu_facts()["gpu_compute_capabilities"]
    ampere = bool(gpu_capabilities) and all(
        c is not None and tuple(int(x) for x in c.split(".")) >= TF32_CAPABILITY for c in gpu_capabilities
    )
    return "tensorfloat32" if tf32_enabled and ampere else "float32"


def peak_gflops(devices: list[str], precision: str = "float32") -> float:
    """The summed matmul peak of the physical devices behind the given replica devices, in GFLOP/s,
    in the precision a step in `precision` (a RunSpec precision) runs its matrix products in.

    Raises:
      ValueError: TFBENCH_PEAK_GFLOPS (or the precision's own variable) is set but not a positive number.
    """
    products = matmul_precision(precision, devices)
    declared = declared_peak_gflops(precision=products)
    if declared is not None:
        return declared
    gpus = [d for d in devices if "GPU" in d.upper()]
    if gpus:
        return sum(device_peak_gflops(d, products) for d in gpus)
    return device_peak_gflops(devices[0], products)


def peak_variable(precision: str | None) -> str:
    """The environment variable that declares the peak of one precision (None, or float32: every precision's)."""
    return PEAK_VARIABLE if precision in (None, "float32") else f"{PEAK_VARIABLE}_{precision.upper()}"


def declared_peak_gflops(environ: Mapping[str, str] = os.environ, *, precision: str | None = None) -> float | None:
    """The declared peak of `precision` as a number, or None where none is declared.

    A precision's own variable (TFBENCH_PEAK_GFLOPS_BFLOAT16) comes first, then TFBENCH_PEAK_GFLOPS.
    Without a precision, every precision's variable is checked and TFBENCH_PEAK_GFLOPS returned.

    Raises:
      ValueError: a variable is set but not a positive number.
    """
    if precision is None:
        for each in CALIBRATION_DTYPES:
            _declared(environ, peak_variable(each))
        return _declared(environ, PEAK_VARIABLE)
    own = _declared(environ, peak_variable(precision))
    return own if own is not None else _declared(environ, PEAK_VARIABLE)


def _declared(environ: Mapping[str, str], variable: str) -> float | None:
    text = environ.get(variable)
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < float("inf"):
        raise ValueError(f"{variable}={text!r} is not allowed: the devices' peak in GFLOP/s, a positive number")
    return value


@functools.cache
def device_peak_gflops(
    device: str, precision: str = "float32", size: int = CALIBRATION_SIZE, repeats: int = CALIBRATION_REPEATS
) -> float:
    """Best matmul rate of one device in `precision` in GFLOP/s; measured once per process, then cached.

    Raises:
      ValueError: a precision not in CALIBRATION_DTYPES.
    """
    if precision not in CALIBRATION_DTYPES:
        raise ValueError(f"precision={precision!r} is not allowed: use one of {', '.join(CALIBRATION_DTYPES)}")
    rate = _tensorflow_matmul_gflops(device, size, repeats, dtype=CALIBRATION_DTYPES[precision])
    if "CPU" in device.upper() and precision == "float32":
        rate = max(rate, _host_blas_matmul_gflops(size, repeats))
    return rate


def _tensorflow_matmul_gflops(device: str, size: int, repeats: int, *, dtype: tf.DType = tf.float32) -> float:
    with tf.device(device):
        a = tf.cast(tf.random.stateless_uniform((size, size), seed=(1, 2)), dtype)
        b = tf.cast(tf.random.stateless_uniform((size, size), seed=(3, 4)), dtype)

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
