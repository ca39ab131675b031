"""Prepares devices and builds the tf.distribute strategy a RunSpec asks for.

This is the one module that changes process-wide TensorFlow state: it splits the CPU into
logical devices (which must happen before TensorFlow initializes its devices), turns on
TensorFlow's BFC allocator on the CPU so that allocator peak memory can be read there, and
creates the process's one MultiWorkerMirroredStrategy, which TensorFlow allows only before any
other op runs and which every multi_worker configuration then reuses.
Nothing outside this module branches on strategy names.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import tensorflow as tf
from tensorflow.python.distribute import collective_all_reduce_strategy as _collective
from tensorflow.python.distribute import distribute_lib as _distribute_lib

from bench_lib.config.cluster import TF_CONFIG_ENV, Cluster
from bench_lib.config.collective import Settings
from bench_lib.config.spec import RunSpec
from bench_lib.config.wording import count

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
            f"(bench_lib.engine.strategy.configure_devices, or --bench-replicas in pytest)"
        ) from None
    return DeviceLayout(gpus=len(gpus), logical_cpus=replicas)


def configure_for(spec: RunSpec, cluster: Cluster | None, *, deterministic: bool = False) -> None:
    """Prepares this process for spec: its devices, and for multi_worker the cluster's strategy.

    Call it before any TensorFlow op. `cluster` is the checked TF_CONFIG (bench_lib.config.cluster).

    Raises:
      RuntimeError: as configure_devices or configure_multi_worker.
    """
    if spec.strategy == "multi_worker":
        settings = Settings.of(spec)
        configure_multi_worker(spec.replicas_per_worker, cluster, deterministic=deterministic, settings=settings)
    else:
        configure_devices(spec.replicas, deterministic=deterministic)


def set_op_determinism(enabled: bool) -> None:
    """Turns TensorFlow op determinism on or off for the configurations that follow.

    With it on (and the spec's fixed seed), two runs of one configuration give bit-identical
    losses; ops without a deterministic kernel then raise instead of running.
    """
    if enabled:
        tf.config.experimental.enable_op_determinism()
    else:
        # TensorFlow has no public switch back; this is what enable_op_determinism() sets.
        from tensorflow.python.framework import config as tf_config

        tf_config.disable_op_determinism()


# tf.custom_gradient, traced in a tf.function (Keras 3's optimizers do), registers its gradient
# function in TensorFlow's process-wide gradient registry under this prefix and never removes it;
# the function holds the traced graph, and the graph the variables it captured.
_CUSTOM_GRADIENT_PREFIX = "CustomGradient-"


def custom_gradient_names() -> frozenset[str]:
    """The graph-mode custom gradients registered in this process so far."""
    return frozenset(name for name in _gradient_registry() if name.startswith(_CUSTOM_GRADIENT_PREFIX))


def forget_custom_gradients(keep: frozenset[str]) -> int:
    """Unregisters the custom gradients registered since `keep` was taken; returns how many.

    Call it when the tf.functions traced since then are gone for good: their gradients can no
    longer be needed, and the registry would otherwise keep their graphs (and through them the
    model's variables) alive for the rest of the process.
    """
    registry = _gradient_registry()
    stale = [name for name in registry if name.startswith(_CUSTOM_GRADIENT_PREFIX) and name not in keep]
    for name in stale:
        del registry[name]
    return len(stale)


def _gradient_registry() -> dict:
    from tensorflow.python.framework import ops  # TensorFlow has no public handle on it

    return ops._gradient_registry._registry


class FewerGpusThanReplicasError(ValueError):
    """Some GPUs, but fewer than the replicas: the suite skips the configuration with this reason."""


def replica_device_type(replicas: int, gpus: int) -> str:
    """Where `replicas` replicas run on a machine with `gpus` GPUs: 'GPU', or 'CPU' (logical devices) without any.

    A machine with some GPUs but fewer than the replicas could run them on logical CPU devices, but
    that row would time a CPU beside GPU rows and read as the GPUs' figure; TensorFlow places a
    MirroredStrategy's replicas on the devices it is given, so no setting makes it use the GPUs there.

    Raises:
      FewerGpusThanReplicasError: 0 < gpus < replicas.
    """
    if gpus >= replicas:
        return "GPU"
    if gpus == 0:
        return "CPU"
    raise FewerGpusThanReplicasError(
        f"replicas={replicas} needs {replicas} GPUs and this machine has {gpus}; rather than run the replicas on "
        f"logical CPU devices beside GPU rows, the configuration is skipped (run it on a machine with {replicas} GPUs)"
    )


def replica_devices(spec: RunSpec) -> list[str]:
    """The device names the spec's replicas run on: GPUs when there are enough, logical CPU devices without GPUs.

    Raises:
      FewerGpusThanReplicasError: the machine has GPUs, but fewer than the spec's replicas.
      RuntimeError: fewer devices exist than the spec needs (see configure_devices).
    """
    if spec.strategy == "multi_worker":  # this worker's replicas only
        return list(_multi_worker_strategy(spec).extended.worker_devices)
    gpus = tf.config.list_logical_devices("GPU")
    if replica_device_type(spec.replicas, len(gpus)) == "GPU":
        return [d.name for d in gpus[: spec.replicas]]
    cpus = tf.config.list_logical_devices("CPU")
    if len(cpus) < spec.replicas:
        raise RuntimeError(
            f"replicas={spec.replicas} but this process has {len(cpus)} CPU and {len(gpus)} GPU devices; "
            f"call bench_lib.engine.strategy.configure_devices({spec.replicas}) before TensorFlow starts"
        )
    return [d.name for d in cpus[: spec.replicas]]


def build_strategy(spec: RunSpec) -> tf.distribute.Strategy:
    """The strategy for spec.strategy over replica_devices(spec).

    Raises:
      RuntimeError: too few devices; for multi_worker, configure_multi_worker() was not called
        first, or the spec's cluster shape is not this process's.
    """
    if spec.strategy == "multi_worker":
        return _multi_worker_strategy(spec)
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


class _ReplicasPerWorkerExtended(_collective.CollectiveAllReduceExtended):
    """MultiWorkerMirroredStrategy's engine with a chosen number of local devices per worker.

    TensorFlow's own picks every GPU of a worker, or exactly one CPU when there is none; this
    picks the first `replicas_per_worker` GPUs, or as many logical CPU devices when there are
    fewer GPUs, so that a CPU machine can run several replicas per worker (a private TensorFlow
    hook, pinned with TensorFlow itself in setup.cfg).
    """

    def __init__(self, container_strategy, *, replicas_per_worker: int, **kwargs) -> None:
        self._replicas_per_worker = replicas_per_worker
        super().__init__(container_strategy, **kwargs)

    def _initialize_local_devices(self, cluster_resolver, worker_device):
        r = self._replicas_per_worker
        kind = "GPU" if len(tf.config.list_logical_devices("GPU")) >= r else "CPU"
        return tuple(f"{worker_device}/device:{kind}:{i}" for i in range(r)), kind


_IMPLEMENTATIONS = {
    "auto": tf.distribute.experimental.CommunicationImplementation.AUTO,
    "ring": tf.distribute.experimental.CommunicationImplementation.RING,
    "nccl": tf.distribute.experimental.CommunicationImplementation.NCCL,
}


def communication_options(settings: Settings) -> tf.distribute.experimental.CommunicationOptions:
    """TensorFlow's CommunicationOptions for the spec's collective fields."""
    return tf.distribute.experimental.CommunicationOptions(
        bytes_per_pack=settings.bytes_per_pack,
        timeout_seconds=settings.collective_timeout_s,
        implementation=_IMPLEMENTATIONS[settings.collective],
    )


class _MultiWorkerStrategy(_collective.CollectiveAllReduceStrategy):
    """tf.distribute.MultiWorkerMirroredStrategy with replicas_per_worker local devices."""

    def __init__(self, replicas_per_worker: int, settings: Settings) -> None:
        extended = _ReplicasPerWorkerExtended(
            self,
            replicas_per_worker=replicas_per_worker,
            cluster_resolver=None,
            communication_options=communication_options(settings),
        )
        self.settings = settings
        _distribute_lib.Strategy.__init__(self, extended)


# TensorFlow allows one MultiWorkerMirroredStrategy per process, created before any other op;
# every multi_worker configuration of the process shares it.
_multi_worker: list[tf.distribute.Strategy] = []


def configure_multi_worker(
    replicas_per_worker: int,
    cluster: Cluster | None,
    *,
    deterministic: bool = False,
    settings: Settings | None = None,
) -> tf.distribute.Strategy:
    """Creates this process's MultiWorkerMirroredStrategy from TF_CONFIG; call it before any TensorFlow op.

    Configures `replicas_per_worker` devices (GPUs, else logical CPU devices) first. `cluster` is
    TF_CONFIG already checked by bench_lib.config.cluster (None: one worker, no TF_CONFIG);
    `settings` are the all-reduce's (None: TensorFlow's defaults). Calling it again with the same
    shape and settings returns the same strategy.

    Raises:
      RuntimeError: TensorFlow already ran an op, or the strategy exists with another shape or settings.
    """
    settings = settings or Settings()
    if _multi_worker:
        strategy = _multi_worker[0]
        if strategy.extended._num_devices_per_worker != replicas_per_worker:
            raise RuntimeError(
                f"replicas_per_worker={replicas_per_worker} is not allowed: this process's multi_worker "
                f"strategy already runs {strategy.extended._num_devices_per_worker} replicas per worker"
            )
        if strategy.settings != settings:
            raise RuntimeError(
                f"{settings.describe()} is not allowed: this process's multi_worker strategy already "
                f"runs with {strategy.settings.describe()}"
            )
        return strategy
    configure_devices(replicas_per_worker, deterministic=deterministic)
    if cluster is not None and cluster.source != "tf_config":
        os.environ[TF_CONFIG_ENV] = cluster.to_tf_config()  # TensorFlow reads the cluster from TF_CONFIG
    try:
        strategy = _MultiWorkerStrategy(replicas_per_worker, settings)
    except RuntimeError as error:
        raise RuntimeError(
            f"strategy='multi_worker' could not start ({error}); its strategy must be created before any other "
            "TensorFlow op in the process (bench_lib.engine.strategy.configure_multi_worker)"
        ) from None
    expected = cluster.workers if cluster else 1
    if strategy.extended._num_workers != expected:
        raise RuntimeError(f"TF_CONFIG names {expected} workers but TensorFlow found {strategy.extended._num_workers}")
    _multi_worker.append(strategy)
    return strategy


def _multi_worker_strategy(spec: RunSpec) -> tf.distribute.Strategy:
    if not _multi_worker:
        raise RuntimeError(
            f"{spec.id} needs this process's multi_worker strategy, which must be created before any other "
            "TensorFlow op: call bench_lib.engine.strategy.configure_multi_worker() first "
            "(pytest and `python -m bench_lib run` do this when multi_worker is asked for)"
        )
    strategy = _multi_worker[0]
    workers, per_worker = strategy.extended._num_workers, strategy.extended._num_devices_per_worker
    if (spec.workers, spec.replicas_per_worker) != (workers, per_worker):
        raise RuntimeError(
            f"{spec.id} needs {spec.workers} workers x {count(spec.replicas_per_worker, 'replica')}, but this "
            f"process is one of {workers} workers x {count(per_worker, 'replica')} "
            "(TF_CONFIG and --replicas-per-worker)"
        )
    if Settings.of(spec) != strategy.settings:
        raise RuntimeError(
            f"{spec.id} needs {Settings.of(spec).describe()}, but this process's multi_worker strategy "
            f"runs with {strategy.settings.describe()} (set when it was created)"
        )
    return strategy


def agree_across_workers(spec: RunSpec, ready: bool) -> bool:
    """True when every worker of the spec's cluster is ready; just `ready` outside multi_worker.

    Every worker must call it at the same point of the same configuration: it is a collective.
    A worker that cannot run a configuration (say, a missing data file) thus makes all of them
    skip it together instead of leaving the others waiting in the training step's all-reduce.
    """
    if spec.strategy != "multi_worker" or spec.workers == 1:
        return ready
    strategy = _multi_worker_strategy(spec)
    # A partial has no code object, so tf.function does not count its traces as retracing.
    count_not_ready = tf.function(functools.partial(_count_not_ready, strategy))
    return int(count_not_ready(tf.constant(0 if ready else 1))) == 0


def mean_across_workers(spec: RunSpec, value: float) -> float:
    """The mean of value over the spec's workers, the same on every worker; just value outside multi_worker.

    A collective like agree_across_workers: every worker calls it at the same point. Figures that
    set how many steps run (a timed block's length, calibrated from each worker's own warm-up)
    must agree, or the workers would run different numbers of all-reduces and the last would wait
    forever.
    """
    if spec.strategy != "multi_worker" or spec.workers == 1:
        return value
    strategy = _multi_worker_strategy(spec)
    total = tf.function(functools.partial(_sum_over_replicas, strategy))(tf.constant(float(value)))
    return float(total) / spec.replicas


def _sum_over_replicas(strategy: tf.distribute.Strategy, value: tf.Tensor) -> tf.Tensor:
    per_replica = strategy.run(tf.identity, args=(value,))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)


def _count_not_ready(strategy: tf.distribute.Strategy, not_ready: tf.Tensor) -> tf.Tensor:
    per_replica = strategy.run(tf.identity, args=(not_ready,))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
