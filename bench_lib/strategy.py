"""Prepares devices and builds the tf.distribute strategy a RunSpec asks for.

This is the one module that changes process-wide TensorFlow state: it splits the CPU into
logical devices (which must happen before TensorFlow initializes its devices) and turns on
TensorFlow's BFC allocator on the CPU so that allocator peak memory can be read there.
Nothing outside this module branches on strategy names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import tensorflow as tf

from bench_lib.spec import RunSpec

# TensorFlow reads this when it first initializes the CPU device; with the default CPU
# allocator tf.config.experimental.get_memory_info() is unavailable on the CPU.
_CPU_ALLOCATOR_ENV = "TF_CPU_ALLOCATOR_USE_BFC"


@dataclass(frozen=True)
class DeviceLayout:
    """What devices this process has after configure_devices()."""

    gpus: int
    logical_cpus: int


def configure_devices(replicas: int, *, deterministic: bool = False) -> DeviceLayout:
    """Makes `replicas` devices available to mirrored runs in this process.

    Uses GPUs when there are at least `replicas` of them; otherwise splits the CPU into
    `replicas` logical devices. Call it before any TensorFlow op. Calling it again is fine
    as long as enough devices exist already.

    Raises:
      RuntimeError: TensorFlow was initialized already with fewer devices than needed.
    """
    os.environ.setdefault(_CPU_ALLOCATOR_ENV, "true")
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    gpus = tf.config.list_physical_devices("GPU")
    if len(gpus) >= replicas:
        return DeviceLayout(gpus=len(gpus), logical_cpus=len(tf.config.list_logical_devices("CPU")))
    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is not None and len(current) >= replicas:
        return DeviceLayout(gpus=len(gpus), logical_cpus=len(current))
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * replicas)
    except RuntimeError:
        have = len(tf.config.list_logical_devices("CPU"))
        raise RuntimeError(
            f"replicas={replicas} needs {replicas} logical CPU devices, but TensorFlow was already "
            f"initialized with {have}; configure devices before any TensorFlow op "
            f"(bench_lib.strategy.configure_devices, or --bench-replicas in pytest)"
        ) from None
    return DeviceLayout(gpus=len(gpus), logical_cpus=replicas)


def replica_devices(spec: RunSpec) -> list[str]:
    """The device names the spec's replicas run on.

    Raises:
      RuntimeError: fewer devices exist than the spec needs (see configure_devices).
    """
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) >= spec.replicas:
        return [d.name for d in gpus[: spec.replicas]]
    cpus = tf.config.list_logical_devices("CPU")
    if len(cpus) < spec.replicas:
        raise RuntimeError(
            f"replicas={spec.replicas} but this process has {len(cpus)} CPU and {len(gpus)} GPU devices; "
            f"call bench_lib.strategy.configure_devices({spec.replicas}) before TensorFlow starts"
        )
    return [d.name for d in cpus[: spec.replicas]]


def build_strategy(spec: RunSpec) -> tf.distribute.Strategy:
    """The strategy for spec.strategy over replica_devices(spec)."""
    devices = replica_devices(spec)
    if spec.strategy == "one_device":
        return tf.distribute.OneDeviceStrategy(devices[0])
    if spec.strategy == "mirrored":
        # Plain all-reduce via one device works for CPUs and GPUs alike; NCCL is used
        # automatically only where MirroredStrategy picks it for GPUs.
        cross_device_ops = None if devices[0].startswith("/device:GPU") else tf.distribute.ReductionToOneDevice()
        return tf.distribute.MirroredStrategy(devices, cross_device_ops=cross_device_ops)
    raise ValueError(f"strategy={spec.strategy!r} has no builder")


def memory_devices(devices: list[str]) -> list[str]:
    """The devices whose allocators hold the given replicas' memory, each counted once.

    Logical CPU devices share one allocator, so all of them are represented by 'CPU:0'.
    """
    names = []
    for device in devices:
        kind, index = device.split("device:")[-1].split(":")
        name = "CPU:0" if kind == "CPU" else f"{kind}:{index}"
        if name not in names:
            names.append(name)
    return names
