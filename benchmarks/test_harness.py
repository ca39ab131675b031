"""Harness overhead: the suite's training step against a textbook tf.function loop, keras.Model.fit and a minimal loop.

Same model (MLP 784-512-512-10 by default), optimizer and global batch for all four, on one device,
in interleaved rounds (see bench_lib/engine/harness.py for the method and why): pytest-benchmark
times the suite's own step in its calibrated blocks, as in every benchmark; between its blocks the
hand-written loop, fit and the minimal loop run one block of as many steps each, in rotating order,
and the ratios are the medians of the rounds' ratios, with their spread, in extra_info. The last
configuration (SGD, no dropout, batch 512) is the one where the suite's step is held to the
minimal loop's speed.
"""

import pytest

from bench_lib.engine import data as data_lib
from bench_lib.engine import harness


def grid(profile):
    sizes = profile.sizes("harness")
    wide_mlp = {
        "strategy": "one_device",
        "replicas": 1,
        "dataset": "synthetic",
        "model": "mlp",
        "hidden_units": profile.wide_mlp_hidden_units,
        "timed_blocks": sizes.blocks,
    }
    bare = {**wide_mlp, "optimizer": "sgd", "dropout": 0.0, "global_batch_size": 512}
    return [{**wide_mlp, "global_batch_size": batch_size} for batch_size in sizes.batch_sizes] + [bare]


def test_harness(measure_run, spec):
    data = data_lib.load(spec)
    alternatives = harness.alternatives(spec, data, warmup_steps=spec.warmup_steps)
    rounds = harness.InterleavedRounds(
        runs={name: variant.run for name, variant in alternatives.items()},
        global_batch_size=spec.global_batch_size,
    )

    def ratios(result: dict) -> dict:
        rounds.finish()
        figures = rounds.figures()
        if not figures:
            pytest.fail(f"{spec.id}: no complete interleaved round of {rounds.block_steps} steps")
        too_few = [] if figures["harness_rounds"] >= 5 else [_too_few_rounds(figures["harness_rounds"])]
        # The alternatives' steps run between the suite's blocks, inside the window whose TensorFlow
        # peak tf_peak_mib is, so their pipelines' copies would count in it and vary from run to run.
        # The suite's own step is step_peak_mib, measured apart.
        return {**figures, "tf_peak_mib": None, "warnings": [*result.get("warnings", []), *too_few]}

    try:
        result = measure_run(spec, extra=ratios, on_prepared=lambda prepared: rounds.attach(prepared.loop))
    finally:
        harness.release(*alternatives.values())
    assert result["train_traces"] == 1
    assert result["harness_rounds"] == spec.timed_blocks
    assert all(result[f"suite_over_{name}"] > 0 for name in harness.ALTERNATIVES)


def _too_few_rounds(rounds: int) -> str:
    return (
        f"too few interleaved rounds: {rounds} (fewer than 5); the harness ratios' median and spread are "
        "not reliable (--bench-rounds)"
    )
