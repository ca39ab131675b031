"""Seed Example 3: the MLP with and without BatchNormalization across batch sizes, small ones included."""


def grid(profile):
    batch_sizes = profile.sizes("batchnorm").batch_sizes
    return profile.grid(model=("mlp", "mlp_bn"), global_batch_size=batch_sizes, seeds=profile.seeds_of_question())


def test_batchnorm(measure_run, spec):
    result = measure_run(spec)
    assert result["history"], "every run records its learning curve"
