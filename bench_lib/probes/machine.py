"""Describes the machine and software a run measured, so runs from different hardware can be told apart."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import keras
import psutil
import tensorflow as tf

# Environment variables that change what TensorFlow does, recorded with every run.
TF_ENV_KNOBS = (
    "TF_CPU_ALLOCATOR_USE_BFC",
    "TF_ENABLE_ONEDNN_OPTS",
    "TF_NUM_INTEROP_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_DETERMINISTIC_OPS",
    "TF_XLA_FLAGS",
    "TF_GPU_ALLOCATOR",
    "TF_CONFIG",
    "CUDA_VISIBLE_DEVICES",
    "OMP_NUM_THREADS",
    "KMP_AFFINITY",
    "TFBENCH_PEAK_GFLOPS",  # a declared MFU denominator instead of the calibrated one
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# CPU features that decide whether reduced precision runs natively (e.g. avx512_bf16, amx_bf16)
# or is emulated by converting to float32; recorded because mixed-precision figures depend on them.
PRECISION_CPU_FLAGS = ("avx2", "fma", "f16c", "avx512f", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_tile")


def cpu_precision_flags() -> list[str]:
    """Which of PRECISION_CPU_FLAGS /proc/cpuinfo lists (empty where it cannot be read)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    for line in text.splitlines():
        if line.startswith("flags"):
            present = set(line.split(":", 1)[1].split())
            return [flag for flag in PRECISION_CPU_FLAGS if flag in present]
    return []


def machine_info() -> dict[str, object]:
    """Versions, CPU, GPUs, logical devices and TF environment knobs of this process."""
    gpus = tf.config.list_physical_devices("GPU")
    gpu_names = []
    for gpu in gpus:
        details = tf.config.experimental.get_device_details(gpu)
        gpu_names.append(details.get("device_name", gpu.name))
    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "cpu_model": cpu_model(),
        "cpu_precision_flags": cpu_precision_flags(),
        "cpu_cores_logical": psutil.cpu_count(logical=True),
        "cpu_cores_physical": psutil.cpu_count(logical=False),
        "memory_total_mib": round(psutil.virtual_memory().total / 2**20),
        "gpu_count": len(gpus),
        "gpu_names": gpu_names,
        "logical_cpu_devices": len(tf.config.list_logical_devices("CPU")),
        "logical_gpu_devices": len(tf.config.list_logical_devices("GPU")),
        "tf_built_with_cuda": tf.test.is_built_with_cuda(),
        "tf_env": {k: os.environ[k] for k in TF_ENV_KNOBS if k in os.environ},
    }
