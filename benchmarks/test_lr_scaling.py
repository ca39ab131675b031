"""How much of "large batches hurt" is just the learning rate: fixed against scaled LR (Goyal et al. 2017).

At the base batch (the smallest) every rule gives the same learning rate, so only the fixed one
runs there; larger batches run with the fixed rate and with linear and sqrt scaling, each reached
by a linear warm-up. The sharpness probe and the generalization gap ride along.
"""

import pytest


def grid(profile):
    sizes = profile.sizes("lr_scaling")
    base = sizes.batch_sizes[0]
    points = [{"global_batch_size": b, "lr_scaling": "none"} for b in sizes.batch_sizes]
    points += [
        {"global_batch_size": b, "lr_scaling": rule, "warmup_epochs": sizes.warmup_epochs}
        for b in sizes.batch_sizes[1:]
        for rule in ("linear", "sqrt")
    ]
    shared = {
        "base_batch_size": base,
        "seeds": profile.seeds_of_question(),
        "sharpness_samples": sizes.sharpness_samples,
    }
    # One strategy: the learning-rate arithmetic depends on the global batch, not on how it is split.
    strategy = profile.strategies[0]
    return [
        {**profile.shape(strategy), "optimizer": optimizer, **shared, **point}
        for optimizer in sizes.optimizers
        for point in points
    ]


def test_lr_scaling(measure_run, spec):
    result = measure_run(spec)
    ratio = spec.global_batch_size / spec.base_batch_size
    factor = {"none": 1.0, "linear": ratio, "sqrt": ratio**0.5}[spec.lr_scaling]
    assert result["scaled_learning_rate"] == pytest.approx(spec.effective_learning_rate * factor)
    assert len(result["seeds"]) == spec.seeds
