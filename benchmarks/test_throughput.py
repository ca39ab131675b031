"""Pure step time on synthetic MNIST-shaped data, across batch sizes, models and strategies."""


def grid(profile):
    return profile.grid(
        dataset="synthetic",
        model=profile.throughput_models,
        global_batch_size=profile.throughput_batch_sizes,
        steps=profile.throughput_steps,
    )


def test_throughput(measure_run, spec):
    result = measure_run(spec)
    assert result["examples_per_sec"] > 0
