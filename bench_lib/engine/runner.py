"""Runs one configuration end to end: spec -> strategy -> data -> model -> train and measure -> result.

run() is the whole thing, for every seed the spec asks for. The pytest-benchmark suite uses
prepare() (bench_lib/engine/preparation.py) and conclude() around its own timed calls of the prepared
loop's step() for the first seed and complete_seeds() for the others, so both paths train and
measure alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import keras
import tensorflow as tf

from bench_lib.config.spec import RunSpec
from bench_lib.engine import data as data_lib
from bench_lib.engine import observe, timed_blocks
from bench_lib.engine.input_cost import input_cost_fields
from bench_lib.engine.model import count_parameters
from bench_lib.engine.preparation import PreparedRun, can_reseed, prepare, release, reseed
from bench_lib.engine.strategy import memory_devices
from bench_lib.engine.train import Trainer
from bench_lib.maths import stats
from bench_lib.maths.noise_scale import simple_noise_scale
from bench_lib.probes import memory, sharpness, speed, step_graph
from bench_lib.probes.flops import training_flops_per_example
from bench_lib.record import seeds as seeds_lib
from bench_lib.record.epoch import EpochRecord
from bench_lib.record.result import RunResult, history_dicts, step_time_summary

# What ends a configuration early but still leaves a result: TensorFlow errors (out of memory
# among them) and Python's MemoryError, which a memory_limit_mib overrun is.
STOPPING_ERRORS = (tf.errors.OpError, MemoryError)


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


def conclude(prepared: PreparedRun, *, trace_dir: Path | None = None, time_input: bool = True) -> RunResult:
    """Finishes the loop's last epoch, evaluates on the training set, and reads the probes.

    A diverged model is not evaluated: its accuracy figures stay None rather than garbage. With
    trace_dir, a few more steps are then run under TensorFlow's profiler, writing trace_dir/<id>.
    time_input=False leaves out what a further seed of the same configuration would only repeat:
    the step's own memory and the input pipeline's cost (both train a few more steps).

    Raises:
      MemoryLimitExceeded: the last step exceeded the spec's memory_limit_mib.
    """
    loop = prepared.loop
    loop.finish()
    memory = prepared.probe.stop()
    diverged = loop.diverged_at_step is not None
    last = loop.history[-1] if loop.history and not diverged else None
    train = {"accuracy": None, "loss": None}
    if not diverged and data_lib.evaluates(prepared.spec):
        train = prepared.trainer.evaluate(
            data_lib.eval_dataset(prepared.train_data.x_train, prepared.train_data.y_train)
        )
    evaluated = last is not None and last.test_accuracy is not None and train["accuracy"] is not None
    timed = loop.step_times_s
    spec = prepared.spec
    reached = loop.target_reached_at_step
    result = RunResult(
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
        peak_anon_mib=memory.peak_anon_mib,
        tf_peak_mib=memory.tf_peak_mib,
        devices=prepared.devices,
        parameters=count_parameters(prepared.model),
        wall_s=time.perf_counter() - prepared.started_at,
        cpu_s=time.process_time() - prepared.cpu_started_at,
        history=history_dicts(loop.history),
        versions={"tensorflow": tf.__version__, "keras": keras.__version__},
        generalization_gap_accuracy=train["accuracy"] - last.test_accuracy if evaluated else None,
        generalization_gap_loss=last.test_loss - train["loss"] if evaluated else None,
        steps_to_target=reached,
        examples_to_target=reached * spec.global_batch_size if reached is not None else None,
        seconds_to_target=loop.target_reached_after_s,
        sharpness=_sharpness(prepared) if spec.sharpness_samples and not diverged else None,
        seeds=[spec.seed],
        seed_statuses=["diverged" if loop.diverged_at_step is not None else "ok"],
        **_noise_scale_fields(prepared),
        **_loss_scale_fields(prepared.trainer),
        **_performance(prepared, time_input=time_input),
    )
    if trace_dir is not None and not diverged:
        observe.trace_steps(prepared.trainer.step, trace_dir / spec.id)
    return result


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


def _performance(prepared: PreparedRun, *, time_input: bool) -> dict[str, object]:
    """FLOPs, MFU, the timings' stability, start-up apart from the steady step, the step's own memory
    and the input pipeline's cost to the step, after training (the last two train a few more steps)."""
    spec, loop, peak = prepared.spec, prepared.loop, prepared.workload.cost.peak_gflops
    flops_per_step = training_flops_per_example(prepared.model) * spec.global_batch_size
    out: dict[str, object] = {"flops_per_step": flops_per_step, "peak_gflops": peak,
                              "peak_precision": speed.matmul_precision(spec.precision, prepared.devices)}  # fmt: skip
    timed = loop.step_times_s
    out["step_time_cv"] = stats.coefficient_of_variation(timed)
    out["warnings"] = stats.stability_warnings(timed)
    out["block_steps"] = loop.block_size_steps
    out.update(_start_up(prepared))
    if loop.timed_s > 0:
        achieved = flops_per_step * loop.timed_steps / loop.timed_s / 1e9
        out["achieved_gflops"] = achieved
        out["mfu"] = achieved / peak if peak else None
    if time_input:  # once per traced step: a reseeded configuration's step is the first seed's
        out["computation"] = step_graph.fingerprint(prepared.trainer.traced_graph(), prepared.model, prepared.optimizer)
    if timed and loop.diverged_at_step is None and time_input:
        out.update(_step_memory(prepared))
        # Blocks of the steady length, whatever the run's budget cut its own blocks to.
        calls = timed_blocks.block_calls(loop.warmup_call_s, min_block_s=timed_blocks.MIN_BLOCK_S, timed_calls=None)
        out.update(input_cost_fields(prepared, calls * spec.steps_per_execution))
    return out


def _start_up(prepared: PreparedRun) -> dict[str, object]:
    """Time to the first step's end, tracing, and the first call's time above a steady call of as many steps.

    The time to the first step leaves out the calibration of the devices' peak, which is the
    benchmark's own cost and paid once per process. The first call's extra time is XLA
    compilation where jit_compile is on, and otherwise graph optimization and kernel set-up:
    paid once per configuration, never in the steady step.
    """
    loop, cost = prepared.loop, prepared.workload.cost
    if loop.first_call_ended_at is None:
        return {}
    out: dict[str, object] = {
        "time_to_first_step_s": loop.first_call_ended_at - prepared.started_at - cost.calibration_s,
        "trace_s": cost.trace_s,
        "first_step_s": loop.first_call_s,
    }
    if loop.step_times_s:
        steady = stats.median(loop.step_times_s) * loop.first_call_steps
        out["first_step_overhead_s"] = max(0.0, loop.first_call_s - steady)
    return out


def _step_memory(prepared: PreparedRun) -> dict[str, object]:
    """The training step's own peak (variables, optimizer state, gradients, activations) and the pipeline's bytes."""
    trainer, devices = prepared.trainer, memory_devices(prepared.devices)
    transient = memory.step_peak_bytes(devices, trainer.step)
    held = sum(_variable_bytes(v) for v in [*prepared.model.variables, *prepared.optimizer.variables])
    return {
        "step_peak_mib": None if transient is None else (held + transient) / memory.MIB,
        "input_pipeline_mib": prepared.workload.cost.input_pipeline_mib,
    }


def _variable_bytes(variable) -> int:
    variable = getattr(variable, "value", variable)  # a Keras variable wraps a tf.Variable
    components = getattr(variable, "values", (variable,))  # one per replica when mirrored
    return sum(c.shape.num_elements() * c.dtype.size for c in components)


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


def run(
    spec: RunSpec, *, on_epoch: Callable[[EpochRecord], None] | None = None, trace_dir: Path | None = None
) -> RunResult:
    """Trains and measures one configuration, once per seed; a failure becomes a result with its status.

    With spec.seeds > 1 the result combines the seeds (bench_lib/record/seeds.py); on_epoch sees
    every seed's epochs. With trace_dir the first seed writes a profiler trace (see conclude). The
    seeds after the first reuse the first's prepared step (see complete_seeds).

    Raises:
      ValueError, FileNotFoundError, RuntimeError: as prepare(), before any training.
    """
    prepared = prepare(spec.replace(seeds=1), on_epoch=on_epoch)
    try:
        first = train_and_conclude(prepared, trace_dir=trace_dir)
        return complete_seeds(spec, first, prepared=prepared, on_epoch=on_epoch)
    finally:
        release(prepared)


def complete_seeds(
    spec: RunSpec,
    first: RunResult,
    *,
    prepared: PreparedRun | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
) -> RunResult:
    """Runs spec's seeds after the first (whose result is `first`) and combines them all.

    With the first seed's `prepared` run (not yet released), each further seed restarts it
    (preparation.reseed: new weights and optimizer state, the traced step kept) instead of
    preparing the configuration again; the caller still releases `prepared`. Without it, or when
    the first seed ran out of memory or failed, or the configuration cannot be reseeded, each
    seed is prepared afresh. Returns `first` itself when the spec asks for one seed.
    """
    if spec.seeds == 1:
        return first
    reusable = prepared is not None and first.status in ("ok", "diverged") and can_reseed(prepared)
    others = [
        train_and_conclude(reseed(prepared, seed), time_input=False)
        if reusable
        else run_one(spec.replace(seed=seed, seeds=1), on_epoch=on_epoch)
        for seed in spec.seed_list[1:]
    ]
    return seeds_lib.combine([first, *others])


def run_one(
    spec: RunSpec, *, on_epoch: Callable[[EpochRecord], None] | None = None, trace_dir: Path | None = None
) -> RunResult:
    """One seed: spec.seed, whatever spec.seeds says, prepared afresh and released.

    Raises:
      ValueError, FileNotFoundError, RuntimeError: as prepare(), before any training.
    """
    prepared = prepare(spec, on_epoch=on_epoch)
    try:
        return train_and_conclude(prepared, trace_dir=trace_dir)
    finally:
        release(prepared)


def train_and_conclude(prepared: PreparedRun, *, trace_dir: Path | None = None, time_input: bool = True) -> RunResult:
    """Runs the prepared loop to its end and reads the result; a stopping error becomes a status.

    The memory probe is stopped either way; the variables are not released.
    """
    try:
        prepared.loop.run()
        return conclude(prepared, trace_dir=trace_dir, time_input=time_input)
    except STOPPING_ERRORS as error:
        return failed(prepared.spec, error, time.perf_counter() - prepared.started_at, prepared.loop.steps_done)
    finally:
        prepared.probe.stop()
