"""Seed Example 1: what global batch size does to test accuracy, throughput and memory (Adam)."""


def grid(profile):
    return [
        {
            "strategy": strategy,
            "replicas": profile.replicas_for(strategy),
            "global_batch_size": batch_size,
            "optimizer": "adam",
        }
        for strategy in profile.strategies
        for batch_size in profile.batch_sizes
    ]


def test_batch_size(measure_run, spec):
    result = measure_run(spec)
    assert result["optimizer_steps"] >= result["timed_steps"] > 0
