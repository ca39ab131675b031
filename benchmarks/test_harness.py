"""Harness overhead: the suite's training step against a textbook tf.function loop and keras.Model.fit.

Same model (MLP 784-512-512-10 by default), data pipeline, optimizer and global batch for all
three, on one device, in interleaved rounds (see bench_lib/engine/harness.py for the method and why):
pytest-benchmark times the suite's own step, as in every benchmark; between its blocks of
BLOCK_STEPS steps the hand-written loop and fit run one block each, in rotating order, and the
ratios are the medians of the rounds' ratios, with their spread, in extra_info.
"""

import pytest

from bench_lib.engine import data as data_lib
from bench_lib.engine import harness

# Optimizer steps of each variant per block (times steps_per_execution): the quick profile's 30 timed
# steps make 10 rounds; at batch 64 a block takes about 20 ms on the 2-core test machine.
BLOCK_STEPS = 3


def grid(profile):
    sizes = profile.sizes("harness")
    return [
        {
            "strategy": "one_device",
            "replicas": 1,
            "dataset": "synthetic",
            "model": "mlp",
            "hidden_units": profile.wide_mlp_hidden_units,
            "global_batch_size": batch_size,
            "steps": profile.warmup_steps + sizes.steps,
        }
        for batch_size in sizes.batch_sizes
    ]


def test_harness(measure_run, spec):
    data = data_lib.load(spec)
    handwritten, fit = harness.alternatives(spec, data, warmup_steps=spec.warmup_steps)
    block_steps = BLOCK_STEPS * spec.steps_per_execution
    rounds = harness.InterleavedRounds(
        runs={harness.HANDWRITTEN: handwritten.run, harness.FIT: fit.run},
        block_steps=block_steps,
        global_batch_size=spec.global_batch_size,
    )

    def ratios(result: dict) -> dict:
        rounds.finish()
        figures = rounds.figures()
        if not figures:
            pytest.fail(f"{spec.id}: no complete interleaved round of {block_steps} steps in {spec.steps} steps")
        too_few = [] if figures["harness_rounds"] >= 5 else [_too_few_rounds(figures["harness_rounds"], block_steps)]
        return {**figures, "warnings": [*result.get("warnings", []), *too_few]}

    try:
        result = measure_run(spec, extra=ratios, on_prepared=lambda prepared: rounds.attach(prepared.loop))
    finally:
        harness.release(handwritten, fit)
    assert result["train_traces"] == 1
    assert result["harness_rounds"] == -(-(spec.steps - spec.warmup_steps) // block_steps)
    assert result["suite_over_handwritten"] > 0 and result["suite_over_fit"] > 0


def _too_few_rounds(rounds: int, block_steps: int) -> str:
    return (
        f"too few interleaved rounds: {rounds} of {block_steps} steps (fewer than 5); the harness ratios' "
        "median and spread are not reliable (--bench-rounds)"
    )
