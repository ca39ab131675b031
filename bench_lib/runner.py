"""Runs one configuration end to end: spec -> strategy -> data -> model -> train and measure -> result.

run() is the whole thing, for every seed the spec asks for. The pytest-benchmark suite uses
prepare() and conclude() around its own timed calls of the prepared loop's step() for the first
seed and complete_seeds() for the others, so both paths train and measure alike.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass

import keras
import tensorflow as tf

from bench_lib import data as data_lib
from bench_lib import seeds as seeds_lib
from bench_lib import sharpness, speed, stats
from bench_lib.flops import training_flops_per_example
from bench_lib.loss_scale import DynamicLossScale
from bench_lib.measure import MemoryProbe
from bench_lib.model import build_model, build_optimizer, count_parameters, release_variables
from bench_lib.noise_probe import GradientNoiseProbe, check_batch_sizes
from bench_lib.noise_scale import simple_noise_scale
from bench_lib.result import RunResult, history_dicts, step_time_summary
from bench_lib.spec import RunSpec
from bench_lib.strategy import (
    agree_across_workers,
    build_strategy,
    custom_gradient_names,
    forget_custom_gradients,
    memory_devices,
    replica_devices,
    set_op_determinism,
)
from bench_lib.train import EpochRecord, Trainer, TrainingLoop

# What ends a configuration early but still leaves a result: TensorFlow errors (out of memory
# among them) and Python's MemoryError, which a memory_limit_mib overrun is.
STOPPING_ERRORS = (tf.errors.OpError, MemoryError)


class NotOnEveryWorkerError(RuntimeError):
    """Another worker of the cluster cannot run this configuration, so none of them does."""


@dataclass
class PreparedRun:
    """A configuration ready to train: its loop, model and the probes already running."""

    spec: RunSpec
    loop: TrainingLoop
    trainer: Trainer
    model: keras.Model
    optimizer: keras.optimizers.Optimizer
    train_data: data_lib.Dataset
    devices: list[str]
    probe: MemoryProbe
    started_at: float
    noise_probe: GradientNoiseProbe | None = None
    strategy: tf.distribute.Strategy | None = None
    peak_gflops: float | None = None
    custom_gradients_before: frozenset[str] = frozenset()


# The input pipeline is timed alone over at most this many batches after training.
INPUT_TIMING_BATCHES = 16


def total_steps(spec: RunSpec, steps_per_epoch: int) -> int:
    return spec.steps if spec.steps is not None else spec.epochs * steps_per_epoch


def prepare(spec: RunSpec, *, on_epoch: Callable[[EpochRecord], None] | None = None) -> PreparedRun:
    """Loads data, builds strategy, model and training step, and starts the memory probe.

    Raises:
      ValueError, FileNotFoundError: the data does not fit the spec, or its file is missing.
      NotOnEveryWorkerError: that happened on another worker of a multi_worker cluster.
      RuntimeError: the process has fewer devices than the spec needs, or cannot enforce
        the spec's memory_limit_mib.
    """
    started_at = time.perf_counter()
    dataset = _load_on_every_worker(spec)
    if spec.noise_scale_batch_sizes is not None:
        check_batch_sizes(*spec.noise_scale_batch_sizes, len(dataset.x_train))
    devices = replica_devices(spec)
    set_op_determinism(spec.deterministic)
    custom_gradients_before = custom_gradient_names()
    peak = speed.peak_gflops(devices)  # calibrated once per process, before any memory is attributed
    keras.backend.clear_session()
    gc.collect()
    probe = MemoryProbe(memory_devices(devices))
    probe.start()
    try:
        check = None if spec.memory_limit_mib is None else probe.limit_check(spec.memory_limit_mib)
    except RuntimeError:
        probe.stop()
        raise
    strategy = build_strategy(spec)
    per_epoch = data_lib.steps_per_epoch(dataset, spec)
    with strategy.scope():
        model = build_model(spec, dataset.image_shape, dataset.num_classes)
        optimizer = build_optimizer(spec, steps_per_epoch=per_epoch)
        # Create the optimizer's slots now, not on first apply inside the replica step.
        optimizer.build(model.trainable_variables)
        loss_scale = DynamicLossScale() if spec.precision == "mixed_float16" else None
    iterator = iter(data_lib.train_dataset(dataset, spec, strategy))
    trainer = Trainer(
        strategy=strategy,
        model=model,
        optimizer=optimizer,
        spec=spec,
        train_iterator=iterator,
        loss_scale=loss_scale,
    )
    noise_probe = _noise_probe(spec, model, dataset, loss_scale)
    loop = TrainingLoop(
        trainer=trainer,
        # Evaluating in micro-batches keeps evaluation from raising the measured peak memory
        # above what training itself needs.
        test_data=data_lib.eval_dataset(dataset.x_test, dataset.y_test, spec.micro_batch_size),
        steps_per_epoch=per_epoch,
        total_steps=total_steps(spec, per_epoch),
        warmup_steps=spec.warmup_steps,
        global_batch_size=spec.global_batch_size,
        on_epoch=on_epoch,
        target_accuracy=spec.target_accuracy,
        target_check_steps=spec.target_check_steps,
        stop_at_target=spec.stop_at_target,
        between_steps=_every(spec.noise_scale_interval, noise_probe.measure) if noise_probe else None,
        steps_per_execution=spec.steps_per_execution,
        check=check,
    )
    return PreparedRun(
        spec,
        loop,
        trainer,
        model,
        optimizer,
        dataset,
        devices,
        probe,
        started_at,
        noise_probe,
        strategy=strategy,
        peak_gflops=peak,
        custom_gradients_before=custom_gradients_before,
    )


def release(prepared: PreparedRun) -> None:
    """Frees what a configuration holds in TensorFlow; call it once its result is taken.

    Its variables' buffers are freed at once; its traced graphs are unregistered so that the
    garbage collector (run by the next prepare()) can take them.
    """
    prepared.probe.stop()
    release_variables(prepared.model, prepared.optimizer)
    forget_custom_gradients(prepared.custom_gradients_before)


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


def _noise_scale_fields(prepared: PreparedRun) -> dict[str, object]:
    """noise_scale, critical_batch_size_estimate (B_crit ≈ B_simple) and the estimate's parts."""
    probe = prepared.noise_probe
    if probe is None or not probe.norms_sq:
        return {}
    pairs, n = probe.norms_sq, len(prepared.train_data.x_train)
    estimate = simple_noise_scale(probe.small_batch_size, probe.big_batch_size, pairs, population_size=n)
    detail = estimate.as_dict()
    # The noise scale grows as training lowers |G|; the two halves of the run show by how much.
    for name, half in (("first_half", pairs[: len(pairs) // 2]), ("second_half", pairs[len(pairs) // 2 :])):
        part = (
            simple_noise_scale(probe.small_batch_size, probe.big_batch_size, half, population_size=n) if half else None
        )
        detail[f"{name}_noise_scale"] = part.noise_scale if part else None
    return {
        "noise_scale": estimate.noise_scale,
        "critical_batch_size_estimate": estimate.noise_scale,
        "noise_scale_detail": detail,
    }


def _loss_scale_fields(trainer: Trainer) -> dict[str, object]:
    if trainer.loss_scale is None:
        return {}
    return {
        "loss_scale_final": float(trainer.loss_scale.scale.numpy()),
        "loss_scale_skipped_steps": int(trainer.loss_scale.skipped_steps.numpy()),
    }


def _load_on_every_worker(spec: RunSpec) -> data_lib.Dataset:
    """data_lib.load, agreed across the workers of a multi_worker cluster: all go on, or none does.

    Raises:
      ValueError, FileNotFoundError: as data_lib.load, on the worker where loading failed.
      NotOnEveryWorkerError: on the other workers, when another worker could not load the data.
    """
    try:
        dataset, error = data_lib.load(spec), None
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


def conclude(prepared: PreparedRun) -> RunResult:
    """Finishes the loop's last epoch, evaluates on the training set, and reads the probes.

    A diverged model is not evaluated: its accuracy figures stay None rather than garbage.

    Raises:
      MemoryLimitExceeded: the last step exceeded the spec's memory_limit_mib.
    """
    loop = prepared.loop
    loop.finish()
    memory = prepared.probe.stop()
    diverged = loop.diverged_at_step is not None
    last = loop.history[-1] if loop.history and not diverged else None
    train = {"accuracy": None, "loss": None}
    if not diverged:
        train = prepared.trainer.evaluate(
            data_lib.eval_dataset(prepared.train_data.x_train, prepared.train_data.y_train)
        )
    timed = loop.step_times_s
    spec = prepared.spec
    reached = loop.target_reached_at_step
    return RunResult(
        spec=spec,
        status="diverged" if diverged else "ok",
        error=f"loss was not finite at optimizer step {loop.diverged_at_step}" if diverged else None,
        test_accuracy=last.test_accuracy if last else None,
        test_loss=last.test_loss if last else None,
        train_accuracy=train["accuracy"],
        train_loss=train["loss"],
        examples_per_sec=loop.examples_per_sec,
        step_time_ms=step_time_summary(timed),
        optimizer_steps=loop.steps_done,
        timed_steps=loop.timed_steps,
        diverged_at_step=loop.diverged_at_step,
        peak_rss_mib=memory.peak_rss_mib,
        rss_growth_mib=memory.rss_growth_mib,
        tf_peak_mib=memory.tf_peak_mib,
        devices=prepared.devices,
        parameters=count_parameters(prepared.model),
        wall_s=time.perf_counter() - prepared.started_at,
        history=history_dicts(loop.history),
        versions={"tensorflow": tf.__version__, "keras": keras.__version__},
        generalization_gap_accuracy=train["accuracy"] - last.test_accuracy if last else None,
        generalization_gap_loss=last.test_loss - train["loss"] if last else None,
        steps_to_target=reached,
        examples_to_target=reached * spec.global_batch_size if reached is not None else None,
        seconds_to_target=loop.target_reached_after_s,
        sharpness=_sharpness(prepared) if spec.sharpness_samples and not diverged else None,
        seeds=[spec.seed],
        seed_statuses=["diverged" if loop.diverged_at_step is not None else "ok"],
        **_noise_scale_fields(prepared),
        **_loss_scale_fields(prepared.trainer),
        **_performance(prepared),
    )


# The sharpness probe's loss is measured on at most this many training examples (the first ones).
SHARPNESS_EXAMPLES = 2048


def _sharpness(prepared: PreparedRun) -> float:
    data = prepared.train_data
    subset = data_lib.eval_dataset(data.x_train[:SHARPNESS_EXAMPLES], data.y_train[:SHARPNESS_EXAMPLES])
    spec = prepared.spec
    return sharpness.probe(
        prepared.model,
        lambda: prepared.trainer.evaluate(subset)["loss"],
        samples=spec.sharpness_samples,
        epsilon=spec.sharpness_epsilon,
        seed=spec.seed,
    )


def _performance(prepared: PreparedRun) -> dict[str, object]:
    """FLOPs, MFU, the input pipeline's own speed and the timings' stability, after training."""
    spec, loop = prepared.spec, prepared.loop
    flops_per_step = training_flops_per_example(prepared.model) * spec.global_batch_size
    out: dict[str, object] = {"flops_per_step": flops_per_step, "peak_gflops": prepared.peak_gflops}
    timed = loop.step_times_s
    out["step_time_cv"] = stats.coefficient_of_variation(timed)
    out["warnings"] = stats.stability_warnings(timed)
    if loop.timed_s > 0:
        achieved = flops_per_step * loop.timed_steps / loop.timed_s / 1e9
        out["achieved_gflops"] = achieved
        out["mfu"] = achieved / prepared.peak_gflops if prepared.peak_gflops else None
    if timed:
        batches = min(loop.timed_steps, INPUT_TIMING_BATCHES)
        pipeline = data_lib.train_dataset(prepared.train_data, spec, prepared.strategy)
        input_s = speed.input_seconds_per_batch(pipeline, batches)
        out["input_batch_ms"] = input_s * 1000
        out["input_bound"] = input_s > stats.median(timed)
    return out


def failed(spec: RunSpec, error: BaseException, wall_s: float = 0.0, steps: int = 0) -> RunResult:
    """A result recording why a configuration could not finish: 'oom' for an out-of-memory
    error or an exceeded memory_limit_mib, else 'failed'."""
    oom = isinstance(error, tf.errors.ResourceExhaustedError | MemoryError)
    status = "oom" if oom else "failed"
    return RunResult(
        spec=spec,
        status=status,
        error=error_line(error),
        wall_s=wall_s,
        optimizer_steps=steps,
        seeds=[spec.seed],
        seed_statuses=[status],
    )


def error_line(error: BaseException) -> str:
    """One informative line: TensorFlow's messages start with 'Graph execution error:' and
    bury the reason (e.g. 'OOM when allocating tensor with shape[...]') further down."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    oom = [line[line.index("OOM when allocating") :] for line in lines if "OOM when allocating" in line]
    useful = oom or [line for line in lines if not line.endswith("error:") and not line.startswith("Detected at")]
    return f"{type(error).__name__}: {(useful or lines or ['(no message)'])[0]}"


def run(spec: RunSpec, *, on_epoch: Callable[[EpochRecord], None] | None = None) -> RunResult:
    """Trains and measures one configuration, once per seed; a failure becomes a result with its status.

    With spec.seeds > 1 the result combines the seeds (bench_lib/seeds.py); on_epoch sees
    every seed's epochs.

    Raises:
      ValueError, FileNotFoundError, RuntimeError: as prepare(), before any training.
    """
    first = run_one(spec.replace(seeds=1), on_epoch=on_epoch)
    return complete_seeds(spec, first, on_epoch=on_epoch)


def complete_seeds(
    spec: RunSpec, first: RunResult, *, on_epoch: Callable[[EpochRecord], None] | None = None
) -> RunResult:
    """Runs spec's seeds after the first (whose result is `first`) and combines them all.

    Returns `first` itself when the spec asks for one seed.
    """
    if spec.seeds == 1:
        return first
    others = [run_one(spec.replace(seed=seed, seeds=1), on_epoch=on_epoch) for seed in spec.seed_list[1:]]
    return seeds_lib.combine([first, *others])


def run_one(spec: RunSpec, *, on_epoch: Callable[[EpochRecord], None] | None = None) -> RunResult:
    """One seed: spec.seed, whatever spec.seeds says.

    Raises:
      ValueError, FileNotFoundError, RuntimeError: as prepare(), before any training.
    """
    prepared = prepare(spec, on_epoch=on_epoch)
    try:
        prepared.loop.run()
        return conclude(prepared)
    except STOPPING_ERRORS as error:
        return failed(spec, error, time.perf_counter() - prepared.started_at, prepared.loop.steps_done)
    finally:
        release(prepared)
