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
    "TFBENCH_PEAK_GFLOPS_BFLOAT16",  # ... of one precision (bench_lib/probes/speed.py)
    "TFBENCH_PEAK_GFLOPS_FLOAT16",
    "TFBENCH_PEAK_GFLOPS_TENSORFLOAT32",
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# CPU features that change which kernels run: vector width (avx2, avx512f) and whether reduced
# precision runs natively (avx512_bf16, amx_bf16; avx512_fp16, amx_fp16) or is emulated by converting to float32.
PRECISION_CPU_FLAGS = ("avx2", "fma", "f16c", "avx512f", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_tile",
                       "amx_fp16")  # fmt: skip


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


# The CPU flags that run a mixed precision's matrix products natively, and the GPUs' least compute capability.
FAST_CPU_FLAGS = {"mixed_bfloat16": ("amx_bf16", "avx512_bf16"), "mixed_float16": ("amx_fp16",)}
FAST_GPU_CAPABILITY = {"mixed_bfloat16": (8, 0), "mixed_float16": (7, 0)}  # Ampere; Volta's tensor cores


def no_fast_path(precision: str, *, cpu_flags: list[str], gpu_capabilities: list[str | None]) -> str | None:
    """Why `precision` (mixed_bfloat16 or mixed_float16) has no fast path on this device; None where it has one.

    With GPUs, every one needs the precision's tensor cores (FAST_GPU_CAPABILITY); on a CPU, one of
    FAST_CPU_FLAGS. Elsewhere the reduced precision is converted to float32 around each product, slower
    than float32 itself, and timing it would measure the conversion.
    """
    if gpu_capabilities:
        wanted = FAST_GPU_CAPABILITY[precision]
        slow = [c for c in gpu_capabilities if c is None or tuple(int(x) for x in c.split(".")) < wanted]
        if not slow:
            return None
        return (f"{precision} has no fast path on GPUs of compute capability {', '.join(map(str, slow))}: its tensor "
                f"cores need {'.'.join(map(str, wanted))} or later")  # fmt: skip
    if any(flag in cpu_flags for flag in FAST_CPU_FLAGS[precision]):
        return None
    return (f"{precision} has no fast path on this CPU: it lacks {' and '.join(FAST_CPU_FLAGS[precision])} "
            f"(flags {', '.join(cpu_flags) or 'unknown'}), so its products are converted to float32")  # fmt: skip


def this_device_lacks_fast_path(precision: str) -> str | None:
    """no_fast_path of this machine (its GPUs where it has any, else its CPU)."""
    return no_fast_path(
        precision, cpu_flags=cpu_precision_flags(), gpu_capabilities=gpu_facts()["gpu_compute_capabilities"]
    )


# /proc/cpuinfo's names of the facts that tell CPU generations apart (same brand string, other kernels).
CPU_IDENTITY = {"vendor_id": "cpu_vendor", "cpu family": "cpu_family", "model": "cpu_model_number",
                "stepping": "cpu_stepping"}  # fmt: skip


def parse_cpu_identity(cpuinfo: str) -> dict[str, object]:
    """Vendor, family, model and stepping of the first processor in /proc/cpuinfo text (numbers as int)."""
    found: dict[str, object] = {}
    for line in cpuinfo.splitlines():
        name, _, value = (part.strip() for part in line.partition(":"))
        if not name and found:
            break  # the end of the first processor's block
        if name in CPU_IDENTITY and CPU_IDENTITY[name] not in found:
            found[CPU_IDENTITY[name]] = int(value) if value.isdigit() else value
    return found


def cpu_identity() -> dict[str, object]:
    """parse_cpu_identity of this machine; empty where /proc/cpuinfo cannot be read."""
    try:
        return parse_cpu_identity(Path("/proc/cpuinfo").read_text())
    except OSError:
        return {}


def parse_nvidia_driver(text: str) -> str | None:
    """The driver version in /proc/driver/nvidia/version text ('NVRM version: ... Kernel Module  535.104.05 ...')."""
    for line in text.splitlines():
        if line.startswith("NVRM version:"):
            words = line.split()
            if "Module" in words and words.index("Module") + 1 < len(words):
                return words[words.index("Module") + 1]
    return None


def gpu_facts() -> dict[str, object]:
    """Each GPU's name and compute capability (get_device_details), and the NVIDIA driver version if loaded."""
    names, capabilities = [], []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
        capability = details.get("compute_capability")
        capabilities.append(".".join(str(x) for x in capability) if capability else None)
    try:
        driver = parse_nvidia_driver(Path("/proc/driver/nvidia/version").read_text())
    except OSError:
        driver = None
    return {"gpu_count": len(names), "gpu_names": names, "gpu_compute_capabilities": capabilities, "gpu_driver": driver}


def machine_info() -> dict[str, object]:
    """Versions, CPU identity and kernel flags, GPUs, TF32, logical devices and TF environment knobs of this process."""
    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "cpu_model": cpu_model(),
        **cpu_identity(),
        "cpu_precision_flags": cpu_precision_flags(),
        "cpu_cores_logical": psutil.cpu_count(logical=True),
        "cpu_cores_physical": psutil.cpu_count(logical=False),
        "memory_total_mib": round(psutil.virtual_memory().total / 2**20),
        **gpu_facts(),
        # TF32 runs float32 matmuls in reduced precision on Ampere and later GPUs: other kernels, other peak.
        "tf32_enabled": tf.config.experimental.tensor_float_32_execution_enabled(),
        "logical_cpu_devices": len(tf.config.list_logical_devices("CPU")),
        "logical_gpu_devices": len(tf.config.list_logical_devices("GPU")),
        "tf_built_with_cuda": tf.test.is_built_with_cuda(),
        "tf_env": {k: os.environ[k] for k in TF_ENV_KNOBS if k in os.environ},
    }
