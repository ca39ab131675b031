"""Gradient noise scale: McCandlish et al. 2018's B_simple measured while training, as a critical batch size.

Every few optimizer steps (untimed, without changing the training) the probe measures the
gradient at noise_scale_batch_sizes (small, big) on fresh training examples; the result's
noise_scale is tr(Σ)/|G|² from the averaged unbiased estimators, and
critical_batch_size_estimate the batch size beyond which the paper predicts more examples per
step stop buying fewer steps. Compare it with the knee of the measured steps-to-target curve.
"""


def grid(profile):
    sizes = profile.sizes("noise_scale")
    return [
        {
            **profile.shape(profile.strategies[0]),
            "model": model,
            "noise_scale_batch_sizes": tuple(sizes.batch_sizes),
            "noise_scale_interval": 2,
            "seeds": profile.seeds_of_question(),  # B_simple's interval over seeds, beside the fitted B_crit's
        }
        for model in sizes.models
    ]


def test_noise_scale(measure_run, spec):
    result = measure_run(spec)
    detail = result["noise_scale_detail"]
    assert detail["measurements"] >= 10, "too few measurements to average"
    assert result["critical_batch_size_estimate"] == result["noise_scale"]
