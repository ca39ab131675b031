"""Seed Example 1: what global batch size does to test accuracy, throughput and memory (Adam), at a fixed
number of epochs (data efficiency) and at a fixed number of optimizer steps (step efficiency)."""


def grid(profile):
    batch_sizes = profile.sizes("batch_size").batch_sizes
    return profile.grid(global_batch_size=batch_sizes, optimizer="adam", seeds=profile.seeds_of_question())


def test_batch_size(measure_run, spec):
    result = measure_run(spec)
    assert result["optimizer_steps"] >= result["timed_steps"] > 0


def test_batch_size_fixed_steps(measure_run, spec, profile):
    """The same grid with a fixed number of optimizer steps instead of epochs: step efficiency.

    A fixed epoch budget asks how well each batch size uses the data (larger batches take fewer
    steps); a fixed step budget asks how much each step achieves (larger batches see more data).
    """
    steps = profile.sizes("batch_size_fixed_steps").steps
    result = measure_run(spec.replace(steps=steps))
    assert result["optimizer_steps"] == steps
