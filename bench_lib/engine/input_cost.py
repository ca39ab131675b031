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

import time

from bench_lib.engine import data as data_lib
from bench_lib.engine.train import Trainer
from bench_lib.record import stats

ROUNDS = 4
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
    cost = 1 - stats.median(ratios)
    return {"input_cost": cost, "input_bound": cost > INPUT_BOUND_COST}


def _block_s(trainer: Trainer, calls: int, steps_per_call: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        trainer.step(steps_per_call) if steps_per_call > 1 else trainer.step()
    return time.perf_counter() - start
