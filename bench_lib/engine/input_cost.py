"""Measures what the input pipeline costs the step: the run's pipeline against materialized batches, interleaved.

On a machine with few cores the pipeline's threads take CPU from the step even when the pipeline
alone is faster than the step, so timing the pipeline alone says "not input-bound" while the
step runs slower than it could. Here the same model and optimizer take blocks of steps from the
run's own pipeline and from batches cut once and cached (data.materialized_batches), blocks
alternating in rotating order so that load drifts hit both alike; the input cost is one minus
the median over the rounds of (examples/s with the pipeline) / (examples/s on materialized
batches). Only pipelines that reshuffle are measured: synthetic data is already materialized.
"""

from __future__ import annotations

import dataclasses
import time

from bench_lib.engine import data as data_lib
from bench_lib.engine.train import Trainer
from bench_lib.maths import stats

ROUNDS = 4
# Spec fields that change neither the step nor the pipeline (what trains, for how long, at which
# rate, with which probes between steps), so not the input cost.
NOT_IN_THE_FIGURE = frozenset({
    "seed", "seeds", "epochs", "steps", "warmup_steps", "timed_blocks", "learning_rate", "lr_scaling",
    "base_batch_size", "warmup_epochs", "target_accuracy", "target_check_steps", "stop_at_target", "target_on",
    "sharpness_samples", "sharpness_epsilon", "noise_scale_batch_sizes", "noise_scale_interval", "memory_limit_mib",
})  # fmt: skip
# This process's measurements: the figure-determining fields -> (input cost, the id it was measured on).
_MEASURED: dict[tuple, tuple[float, str]] = {}
# A run whose input cost exceeds this is reported as input-bound.
INPUT_BOUND_COST = 0.05


def input_cost_fields(prepared, block_steps: int) -> dict[str, object]:
    """input_cost and input_bound of a prepared run after its training, or {} where nothing is measured.

    It trains the model further by ROUNDS x 2 blocks of block_steps steps, so call it only once
    the run's own figures are taken.
    """
    spec = prepared.spec
    # Each worker would size these blocks from its own warm-up, and the workers of a cluster must
    # run the same number of all-reduces; the contention it measures is a one-machine question.
    if not data_lib.reshuffles(spec) or prepared.strategy is None or spec.workers > 1:
        return {}
    key = tuple(sorted((k, repr(v)) for k, v in dataclasses.asdict(spec).items() if k not in NOT_IN_THE_FIGURE))
    if key not in _MEASURED:
        _MEASURED[key] = (_measure(prepared, block_steps), spec.id)
    cost, measured_on = _MEASURED[key]
    borrowed = {"input_cost_of": measured_on} if measured_on != spec.id else {}
    return {"input_cost": cost, "input_bound": cost > INPUT_BOUND_COST, **borrowed}


def _measure(prepared, block_steps: int) -> float:
    """One minus the median of the interleaved rounds' ratios, pipeline over materialized batches."""
    spec = prepared.spec
    baseline = Trainer(
        strategy=prepared.strategy,
        model=prepared.model,
        optimizer=prepared.optimizer,
        spec=spec,
        train_iterator=iter(data_lib.train_dataset(prepared.train_data, spec, prepared.strategy, materialized=True)),
        loss_scale=prepared.trainer.loss_scale,
    )
    calls = max(1, block_steps // spec.steps_per_execution)
    _block_s(baseline, calls, spec.steps_per_execution)  # traces the step on the baseline's batches
    ratios = []
    for round_index in range(ROUNDS):
        order = (prepared.trainer, baseline) if round_index % 2 == 0 else (baseline, prepared.trainer)
        seconds = {id(trainer): _block_s(trainer, calls, spec.steps_per_execution) for trainer in order}
        ratios.append(seconds[id(baseline)] / seconds[id(prepared.trainer)])
    return 1 - stats.median(ratios)


def _block_s(trainer: Trainer, calls: int, steps_per_call: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        trainer.step(steps_per_call) if steps_per_call > 1 else trainer.step()
    return time.perf_counter() - start
