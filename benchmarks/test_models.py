"""The hardware table: the standard model families at their standard batch sizes on each strategy.

Synthetic data at each model's own shape (224x224x3 images for resnet50 and mobilenet_v2,
32x32x3 for the CIFAR ResNets, token ids for the transformers), so the figures are the
machine's and the software's, not the input pipeline's or a dataset's. Each configuration
reports examples/s, step time, MFU and TensorFlow's peak memory like every timed question.
Every family trains with SGD and momentum 0.9 (the question's `optimizer`), as the standard
ResNet-50 benchmarks do. The full profile runs each family in float32 and in mixed_bfloat16 and
mixed_float16 where the device has a fast path for them (bench_lib.probes.machine.no_fast_path:
AMX or AVX512_BF16 for bfloat16 on a CPU, tensor cores on a GPU); elsewhere those rows are skipped
with the reason; on one_device only, since the fast path is the device's. MFU is against the
peak of the precision the step's products run in.
The families and their sizes are the question's (bench_lib/questions/models.py);
--bench-models picks the families. Where the profile gives a memory limit (the full profile,
or --bench-memory-limit-mib), the largest global batch within it is searched once per family,
after its largest batch size on one_device, one optimizer step per trial.
"""

import pytest


def grid(profile):
    sizes = profile.sizes("models")
    points = []
    for model in sizes.models:
        family = sizes.family(model)
        run = {
            "dataset": "synthetic",
            "optimizer": sizes.optimizer,
            "steps": family.steps + family.warmup_steps,
            "warmup_steps": family.warmup_steps,
        }
        axes = {"global_batch_size": family.batch_sizes, "precision": family.precisions}
        for fields in profile.grid(**axes, **sizes.model_fields(model)):
            on_strategy = family.strategies is None or fields["strategy"] in family.strategies
            if on_strategy and (fields["precision"] == "float32" or fields["strategy"] == "one_device"):
                points.append({**fields, **run})
    return points


def test_models(measure_run, spec, profile):
    if spec.precision != "float32":
        from bench_lib.probes import machine

        reason = machine.this_device_lacks_fast_path(spec.precision)
        if reason is not None:
            pytest.skip(reason)
    result = measure_run(spec, extra=_largest_batch(spec, profile.sizes("models")))
    assert result["examples_per_sec"] > 0 and result["mfu"] > 0
    assert result["train_traces"] == 1, "the step must be traced once, not per round"


def _largest_batch(spec, sizes):
    """The search of the largest batch within sizes.limit_mib, for the one configuration of a family that runs it."""
    from bench_lib.engine import capacity
    from bench_lib.questions.models import SEARCH_CEILING

    family = sizes.family(spec.model)
    if (
        sizes.limit_mib is None
        or spec.strategy != "one_device"
        or spec.precision != "float32"
        or spec.global_batch_size != max(family.batch_sizes)
    ):
        return None

    def search(result):
        found = capacity.max_batch_size(
            spec.replace(memory_limit_mib=None),
            limit_mib=sizes.limit_mib,
            start=min(family.batch_sizes),
            resolution=min(family.batch_sizes),
            ceiling=SEARCH_CEILING * spec.global_batch_size,
        )
        return {"largest_batch_size": found.max_batch_size, "largest_batch_limit_mib": found.limit_mib,
                "largest_batch_trials": found.trials}  # fmt: skip

    return search
