"""Pure step time on synthetic MNIST-shaped data, across batch sizes, models and strategies."""


def grid(profile):
    return [
        {
            "strategy": strategy,
            "replicas": profile.replicas_for(strategy),
            "global_batch_size": batch_size,
            "model": model,
            "dataset": "synthetic",
            "steps": profile.throughput_steps,
        }
        for strategy in profile.strategies
        for model in profile.throughput_models
        for batch_size in profile.throughput_batch_sizes
    ]


def test_throughput(measure_run, spec):
    result = measure_run(spec)
    assert result["examples_per_sec"] > 0
