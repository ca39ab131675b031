"""The hardware table: the standard model families at their standard batch sizes on each strategy.

Synthetic data at each model's own shape (224x224x3 images for resnet50 and mobilenet_v2,
32x32x3 for the CIFAR ResNets, token ids for the transformers), so the figures are the
machine's and the software's, not the input pipeline's or a dataset's. Each configuration
reports examples/s, step time, MFU and TensorFlow's peak memory like every timed question.
The families and their sizes are the question's (bench_lib/questions/models.py);
--bench-models picks the families.
"""


def grid(profile):
    sizes = profile.sizes("models")
    points = []
    for model in sizes.models:
        family = sizes.family(model)
        run = {"dataset": "synthetic", "steps": family.steps + family.warmup_steps, "warmup_steps": family.warmup_steps}
        for fields in profile.grid(global_batch_size=family.batch_sizes, **sizes.model_fields(model)):
            if family.strategies is None or fields["strategy"] in family.strategies:
                points.append({**fields, **run})
    return points


def test_models(measure_run, spec):
    result = measure_run(spec)
    assert result["examples_per_sec"] > 0 and result["mfu"] > 0
    assert result["train_traces"] == 1, "the step must be traced once, not per round"
