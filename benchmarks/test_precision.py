"""Mixed precision: accuracy, throughput and memory of float32, mixed_bfloat16 and mixed_float16.

Each precision is a Keras dtype policy on this model's layers only (weights stay float32, the
output softmax and the loss compute in float32); mixed_float16 trains with dynamic loss
scaling, and its result carries the final scale and the steps skipped for overflow.
"""


def grid(profile):
    sizes = profile.sizes("precision")
    shape = profile.shape(profile.strategies[0])
    return [
        {**shape, "model": model, "precision": precision} for model in sizes.models for precision in sizes.precisions
    ]


def test_precision(measure_run, spec):
    result = measure_run(spec)
    assert result["status"] == "ok"
    assert (result["loss_scale_final"] is not None) == (spec.precision == "mixed_float16")
