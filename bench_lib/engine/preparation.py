"""Gets one configuration ready to train: data, strategy, model, training loop and running probes.

prepare() builds a PreparedRun: the Workload built once (what was built: strategy, model, optimizer, the
trainer's traced step, the data; what building it cost; the state a further seed starts from) and one
seed's loop and memory probe; release() frees it. bench_lib/engine/runner.py
trains it and reads the result (run(), or the suite's own timed steps followed by runner.conclude()).
reseed() readies a prepared configuration to train again from the start with another seed, keeping
its Workload.
"""

from __future__ import annotations

import functools
import gc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from bench_lib.config.spec import RunSpec, check_image_shape
from bench_lib.engine import data as data_lib
from bench_lib.engine.loop import LoopHooks, LoopOptions, TrainingLoop
from bench_lib.engine.loss_scale import DynamicLossScale
from bench_lib.engine.model import build_model, build_optimizer, builder, release_variables
from bench_lib.engine.strategy import (
    agree_across_workers,
    build_strategy,
    custom_gradient_names,
    forget_custom_gradients,
    mean_across_workers,
    memory_devices,
    replica_devices,
    set_op_determinism,
)
from bench_lib.engine.train import Trainer
from bench_lib.probes import speed
from bench_lib.probes.memory import MemoryProbe
from bench_lib.probes.noise import GradientNoiseProbe, check_batch_sizes
from bench_lib.record.epoch import EpochRecord


class NotOnEveryWorkerError(RuntimeError):
    """Another worker of the cluster cannot run this configuration, so none of them does."""


@dataclass(frozen=True, kw_only=True)
class Built:
    """What prepare() builds for a configuration: the strategy, model, optimizer and trainer (its traced
    step and the training iterator it reads), the loaded train_data, the replicas' devices, and the
    noise probe if the spec asks for one."""

    strategy: tf.distribute.Strategy
    model: keras.Model
    optimizer: keras.optimizers.Optimizer
    trainer: Trainer
    train_data: data_lib.Dataset
    devices: list[str]
    noise_probe: GradientNoiseProbe | None = None


@dataclass(frozen=True, kw_only=True)
class BuildCost:
    """What building it cost: the devices' peak (peak_gflops, calibrated once per process, in
    calibration_s), tracing the step (trace_s), and what the training pipeline allocated on the
    devices (input_pipeline_mib); None where it was not measured."""

    peak_gflops: float | None = None
    calibration_s: float = 0.0
    trace_s: float | None = None
    input_pipeline_mib: float | None = None


@dataclass(frozen=True, kw_only=True)
class StartingState:
    """What a further seed and release() go back to: the optimizer's and loss scale's variables as built
    (initial_state, which reseed() restores), and the custom gradients registered before the
    configuration (release() forgets the newer ones)."""

    initial_state: tuple[np.ndarray, ...] = ()
    custom_gradients_before: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class Workload:
    """What prepare() builds once for a configuration and every further seed of it reuses: what was
    built, what building it cost, the state a further seed starts from, and on_epoch (each seed's
    loop calls it after every epoch)."""

    built: Built
    cost: BuildCost
    starting: StartingState
    on_epoch: Callable[[EpochRecord], None] | None = None


@dataclass(frozen=True, kw_only=True)
class PreparedRun:
    """One seed of a configuration ready to train: its spec, the workload, its loop and running memory probe.

    started_at is time.perf_counter() when its preparation began. The workload's parts that callers
    use most read as attributes of the run too (prepared.model, prepared.trainer, ...).
    """

    spec: RunSpec
    workload: Workload
    loop: TrainingLoop
    probe: MemoryProbe
    started_at: float
    cpu_started_at: float = 0.0  # the process's CPU time (time.process_time) when started_at was taken

    # The parts of the workload its callers reach for (the suite, probes, tests).
    @property
    def trainer(self) -> Trainer:
        return self.workload.built.trainer

    @property
    def model(self) -> keras.Model:
        return self.workload.built.model

    @property
    def optimizer(self) -> keras.optimizers.Optimizer:
        return self.workload.built.optimizer

    @property
    def strategy(self) -> tf.distribute.Strategy:
        return self.workload.built.strategy

    @property
    def train_data(self) -> data_lib.Dataset:
        return self.workload.built.train_data

    @property
    def devices(self) -> list[str]:
        return self.workload.built.devices

    @property
    def noise_probe(self) -> GradientNoiseProbe | None:
        return self.workload.built.noise_probe


def prepare(spec: RunSpec, *, on_epoch: Callable[[EpochRecord], None] | None = None) -> PreparedRun:
    """Loads data, builds strategy, model and training step, and starts the memory probe.

    Raises:
      ValueError, FileNotFoundError: the data does not fit the spec, or its file is missing.
      NotOnEveryWorkerError: that happened on another worker of a multi_worker cluster.
      RuntimeError: the process has fewer devices than the spec needs, or cannot enforce
        the spec's memory_limit_mib.
    """
    started_at, cpu_started_at = time.perf_counter(), time.process_time()
    dataset = _load_on_every_worker(spec)
    if spec.noise_scale_batch_sizes is not None:
        check_batch_sizes(*spec.noise_scale_batch_sizes, len(dataset.x_train))
    devices = replica_devices(spec)
    set_op_determinism(spec.deterministic)
    custom_gradients_before = custom_gradient_names()
    calibrating_from = time.perf_counter()
    # In the precision of the step's matrix products; calibrated once per process, before any memory is attributed.
    peak = speed.peak_gflops(devices, spec.precision)
    calibration_s = time.perf_counter() - calibrating_from
    probe, check = _start_memory_probe(devices, spec.memory_limit_mib)
    strategy = build_strategy(spec)
    per_epoch = data_lib.steps_per_epoch(dataset, spec)
    model, optimizer, loss_scale = _build_in_scope(spec, strategy, dataset, per_epoch)
    held_before = probe.held_mib()
    train_iterator = iter(data_lib.train_dataset(dataset, spec, strategy))
    held_after = probe.held_mib()
    trainer = Trainer(
        strategy=strategy,
        model=model,
        optimizer=optimizer,
        spec=spec,
        train_iterator=train_iterator,
        loss_scale=loss_scale,
    )
    trace_s = trainer.trace()
    built = Built(
        strategy=strategy,
        model=model,
        optimizer=optimizer,
        trainer=trainer,
        train_data=dataset,
        devices=devices,
        noise_probe=_noise_probe(spec, model, dataset, loss_scale),
    )
    cost = BuildCost(
        peak_gflops=peak,
        calibration_s=calibration_s,
        trace_s=trace_s,
        input_pipeline_mib=None if None in (held_before, held_after) else held_after - held_before,
    )
    starting = StartingState(
        initial_state=tuple(v.numpy() for v in _restartable_variables(optimizer, loss_scale)),
        custom_gradients_before=custom_gradients_before,
    )
    workload = Workload(built=built, cost=cost, starting=starting, on_epoch=on_epoch)
    loop = _training_loop(spec, workload, per_epoch, check=check)
    return PreparedRun(
        spec=spec, workload=workload, loop=loop, probe=probe, started_at=started_at, cpu_started_at=cpu_started_at
    )


def release(prepared: PreparedRun) -> None:
    """Frees what a configuration holds in TensorFlow; call it once its result is taken.

    Its variables' buffers are freed at once; its traced graphs are unregistered so that the
    garbage collector (run by the next prepare()) can take them.
    """
    prepared.probe.stop()
    release_variables(prepared.model, prepared.optimizer)
    forget_custom_gradients(prepared.workload.starting.custom_gradients_before)


def can_reseed(prepared: PreparedRun) -> bool:
    """Whether reseed() can restart this configuration: not with a gradient noise probe (its own state)."""
    return prepared.noise_probe is None


def reseed(prepared: PreparedRun, seed: int, *, learning_rate: float | None = None) -> PreparedRun:
    """The prepared configuration ready to train from the start again with `seed`, its traced step kept.

    Tracing and compiling the step, building the strategy and loading the data are most of a
    small configuration's cost; a further seed needs none of them again. The model's variables
    (BatchNormalization's moving statistics too) take the values a model built with `seed` starts
    from, the optimizer's and the loss scale's go back to how they were built, and a new loop and
    memory probe start. The step keeps the data iterator it captured, so this seed's batches are
    the ones that follow the previous seed's (a fresh shuffle of the same training set), not the
    order a run of `seed` alone would see. A `learning_rate` also sets the spec's learning rate
    (the optimizer holds it in a variable the step reads), e.g. to try a grid of rates.
    Release the result, not `prepared`, when done.

    Raises:
      ValueError: can_reseed(prepared) is false, or a learning_rate is given where warm-up schedules the rate.
      RuntimeError: the spec's memory_limit_mib cannot be enforced (as prepare()).
    """
    if not can_reseed(prepared):
        raise ValueError(f"{prepared.spec.id}: a configuration with a gradient noise probe cannot be reseeded")
    started_at, cpu_started_at = time.perf_counter(), time.process_time()
    spec = prepared.spec.replace(seed=seed)
    if learning_rate is not None and spec.warmup_epochs:
        raise ValueError(f"{spec.id}: learning_rate={learning_rate!r} cannot change a scheduled (warm-up) rate")
    if learning_rate is not None:
        spec = spec.replace(learning_rate=learning_rate)
    keras.utils.set_random_seed(seed)
    fresh = builder(spec.model)(spec, prepared.train_data.image_shape, prepared.train_data.num_classes)
    for variable, value in zip(prepared.model.variables, fresh.variables, strict=True):
        variable.assign(value)
    restartable = _restartable_variables(prepared.optimizer, prepared.trainer.loss_scale)
    for variable, value in zip(restartable, prepared.workload.starting.initial_state, strict=True):
        variable.assign(value)
    if learning_rate is not None:
        prepared.optimizer.learning_rate = spec.scaled_learning_rate
    del fresh
    probe, check = _start_memory_probe(prepared.devices, spec.memory_limit_mib, collect=False)
    loop = _training_loop(spec, prepared.workload, data_lib.steps_per_epoch(prepared.train_data, spec), check=check)
    workload = prepared.workload
    return PreparedRun(
        spec=spec, workload=workload, loop=loop, probe=probe, started_at=started_at, cpu_started_at=cpu_started_at
    )


def _restartable_variables(optimizer: keras.optimizers.Optimizer, loss_scale: DynamicLossScale | None) -> list:
    return [*optimizer.variables, *(loss_scale.variables if loss_scale is not None else ())]


def _start_memory_probe(
    devices: list[str], memory_limit_mib: int | None, *, collect: bool = True
) -> tuple[MemoryProbe, Callable[[], None] | None]:
    """The running probe, after what earlier configurations left is collected, and the limit's check.

    collect=False keeps Keras's session (and TensorFlow's kernel cache) for a reseeded configuration.

    Raises:
      RuntimeError: the limit cannot be enforced on these devices (the probe is stopped).
    """
    if collect:
        keras.backend.clear_session()  # also collects the garbage earlier configurations left
        _freeze_survivors()
    probe = MemoryProbe(memory_devices(devices))
    probe.start()
    try:
        check = None if memory_limit_mib is None else probe.limit_check(memory_limit_mib)
    except RuntimeError:
        probe.stop()
        raise
    return probe, check


@functools.cache
def _freeze_survivors() -> None:
    """Once per process, takes what is alive when the first configuration starts out of the collector's view.

    That is mostly TensorFlow's and Keras's modules: hundreds of thousands of objects that every
    full collection (a few per configuration) would otherwise traverse again. Frozen objects still
    die when their last reference goes, but a frozen cycle is never collected, so this runs right
    after a collection.
    """
    gc.freeze()


def _build_in_scope(
    spec: RunSpec, strategy: tf.distribute.Strategy, dataset: data_lib.Dataset, steps_per_epoch: int
) -> tuple[keras.Model, keras.optimizers.Optimizer, DynamicLossScale | None]:
    """Model, optimizer (slots built) and, for mixed_float16, the loss scale, inside strategy.scope()."""
    with strategy.scope():
        model = build_model(spec, dataset.image_shape, dataset.num_classes)
        optimizer = build_optimizer(spec, steps_per_epoch=steps_per_epoch)
        # Create the optimizer's slots now, not on first apply inside the replica step.
        optimizer.build(model.trainable_variables)
        loss_scale = DynamicLossScale() if spec.precision == "mixed_float16" else None
    return model, optimizer, loss_scale


def _training_loop(
    spec: RunSpec, workload: Workload, steps_per_epoch: int, *, check: Callable[[], None] | None
) -> TrainingLoop:
    """The loop of one seed: the spec's options, the workload's trainer and data, and its hooks."""
    dataset, noise_probe = workload.built.train_data, workload.built.noise_probe
    hooks = LoopHooks(
        on_epoch=workload.on_epoch,
        between_steps=_every(spec.noise_scale_interval, noise_probe.measure) if noise_probe else None,
        check=check,
        agree=lambda calls: math.ceil(mean_across_workers(spec, calls)),
    )
    return TrainingLoop(
        trainer=workload.built.trainer,
        options=LoopOptions.for_spec(spec, steps_per_epoch),
        # Evaluating in micro-batches keeps evaluation from raising the measured peak memory
        # above what training itself needs.
        test_data=data_lib.eval_dataset(dataset.x_test, dataset.y_test, spec.micro_batch_size)
        if data_lib.evaluates(spec)
        else None,
        target_data=data_lib.eval_dataset(dataset.x_train, dataset.y_train) if spec.target_on == "train" else None,
        hooks=hooks,
    )


def _noise_probe(
    spec: RunSpec, model: keras.Model, dataset: data_lib.Dataset, loss_scale: DynamicLossScale | None
) -> GradientNoiseProbe | None:
    if spec.noise_scale_batch_sizes is None:
        return None
    small, big = spec.noise_scale_batch_sizes
    return GradientNoiseProbe(
        model=model,
        per_example_loss=keras.losses.SparseCategoricalCrossentropy(reduction=None),
        x_train=dataset.x_train,
        y_train=dataset.y_train,
        small_batch_size=small,
        big_batch_size=big,
        seed=spec.seed,
        loss_scale=(lambda: float(loss_scale.scale.numpy())) if loss_scale is not None else None,
    )


def _every(interval: int, action: Callable[[], object]) -> Callable[[int], None]:
    def maybe(steps_done: int) -> None:
        if steps_done % interval == 0:
            action()

    return maybe


def _load_on_every_worker(spec: RunSpec) -> data_lib.Dataset:
    """data_lib.load, agreed across the workers of a multi_worker cluster: all go on, or none does.

    Raises:
      ValueError, FileNotFoundError: as data_lib.load, or images too small for the model
        (spec.check_image_shape), on the worker where loading failed.
      NotOnEveryWorkerError: on the other workers, when another worker could not load the data.
    """
    try:
        dataset, error = data_lib.load(spec), None
        check_image_shape(spec, dataset.image_shape)  # a tfds:NAME set's shape is known only now
    except (ValueError, FileNotFoundError) as failure:
        dataset, error = None, failure
    everyone_ready = agree_across_workers(spec, error is None)
    if error is not None:
        raise error
    if not everyone_ready:
        raise NotOnEveryWorkerError(
            f"{spec.id}: another worker could not load dataset={spec.dataset!r}, so no worker trains this "
            "configuration; see that worker's output"
        )
    return dataset
