"""Seed Example 3: the MLP with and without BatchNormalization across batch sizes, small ones included."""


def grid(profile):
    return [
        {
            "strategy": strategy,
            "replicas": profile.replicas_for(strategy),
            "global_batch_size": batch_size,
            "model": model,
        }
        for strategy in profile.strategies
        for model in ("mlp", "mlp_bn")
        for batch_size in profile.bn_batch_sizes
    ]


def test_batchnorm(measure_run, spec):
    result = measure_run(spec)
    assert result["history"], "every run records its learning curve"
