"""Seed Example 1: what global batch size does to test accuracy, throughput and memory (Adam)."""


def grid(profile):
    return profile.grid(global_batch_size=profile.batch_sizes, optimizer="adam")


def test_batch_size(measure_run, spec):
    result = measure_run(spec)
    assert result["optimizer_steps"] >= result["timed_steps"] > 0
