"""Harness overhead: the suite's training step against a minimal tf.function loop and keras.Model.fit.

Same model (MLP 784-512-512-10 by default), data pipeline, optimizer and global batch for all
three, in one run, on one device. The suite's figure is timed by pytest-benchmark; the others
are timed right before (hand-written loop) and after (fit) it, so a machine whose load changes
meanwhile moves the ratios: read them from a quiet machine.
"""

from bench_lib import data as data_lib
from bench_lib import harness, stats


def grid(profile):
    return [
        {
            "strategy": "one_device",
            "replicas": 1,
            "dataset": "synthetic",
            "model": "mlp",
            "hidden_units": profile.harness_hidden_units,
            "global_batch_size": batch_size,
            "steps": profile.harness_steps,
        }
        for batch_size in profile.harness_batch_sizes
    ]


def test_harness(measure_run, spec):
    data = data_lib.load(spec)
    timed = spec.steps - spec.warmup_steps
    handwritten = harness.handwritten_step_times(spec, data, steps=timed, warmup=spec.warmup_steps)

    def alternatives(result: dict) -> dict:
        fit_s = harness.fit_seconds_per_step(spec, data, steps=timed, warmup=spec.warmup_steps)
        handwritten_rate = stats.throughput(spec.global_batch_size, handwritten)
        # Total examples over total time for all three, as the suite's examples_per_sec.
        return {
            "handwritten_step_time_ms": {"median": stats.median(handwritten) * 1000, "min": min(handwritten) * 1000},
            "handwritten_examples_per_sec": handwritten_rate,
            "fit_examples_per_sec": spec.global_batch_size / fit_s,
            "suite_over_handwritten": result["examples_per_sec"] / handwritten_rate,
            "suite_over_fit": result["examples_per_sec"] * fit_s / spec.global_batch_size,
        }

    result = measure_run(spec, extra=alternatives)
    assert result["train_traces"] == 1
    assert result["suite_over_handwritten"] > 0 and result["suite_over_fit"] > 0
