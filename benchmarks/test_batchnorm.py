"""Seed Example 3: the MLP with and without BatchNormalization across batch sizes, small ones included."""


def grid(profile):
    return profile.grid(model=("mlp", "mlp_bn"), global_batch_size=profile.sizes("batchnorm").batch_sizes)


def test_batchnorm(measure_run, spec):
    result = measure_run(spec)
    assert result["history"], "every run records its learning curve"
