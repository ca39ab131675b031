"""Pure step time on synthetic MNIST-shaped data: batch sizes, models, strategies, the knobs that matter.

Three parts, all in one question so one table and one scaling section show them:
- the base grid: every model x batch size x strategy;
- weak-scaling partners: one_device at each mirrored batch / replicas, so that both strong
  scaling (same global batch) and weak scaling (same per-replica batch) have a one-replica run;
- the wide MLP 784-512-512-10 of the MFU target at its batch sizes;
- the knobs, each changed alone from the defaults on the MLP at one batch size:
  steps_per_execution, jit_compile (XLA, with the model's Dropout and, with SGD, without it),
  distribute_input on mirrored; and steps_per_execution on the wide MLP.
Every configuration is timed in its question's number of blocks of steps, on synthetic data fed as
materialized batches, so the input pipeline does not compete with the step it times. The pipeline's
own knobs (input_cache, prefetch_batches) are therefore not rows here: on batches cut once and
cached they change nothing the step does, and two rows of them were two more samples of the base
row's noise. What a real pipeline costs is the input cost of a run on real data.
"""

# Each knob on the strategy where it can matter: distributing the input is a no-op on one device.
KNOBS = (
    ("one_device", {"steps_per_execution": 8}),
    ("one_device", {"jit_compile": True}),
    # XLA without Dropout, beside its twin without XLA: what XLA does where Dropout does not slow it.
    ("one_device", {"optimizer": "sgd", "dropout": 0.0}),
    ("one_device", {"optimizer": "sgd", "dropout": 0.0, "jit_compile": True}),
    ("mirrored", {"distribute_input": "function"}),
)


def grid(profile):
    sizes = profile.sizes("throughput")
    steps = {"dataset": "synthetic", "timed_blocks": sizes.blocks}
    points = profile.grid(model=sizes.models, global_batch_size=sizes.batch_sizes, **steps)
    one_device = {"strategy": "one_device", "replicas": 1}
    if "mirrored" in profile.strategies and "one_device" in profile.strategies:
        weak = {b // profile.replicas for b in sizes.batch_sizes} - set(sizes.batch_sizes)
        points += [{**one_device, "model": "mlp", "global_batch_size": b, **steps} for b in sorted(weak)]
    wide = {**one_device, "model": "mlp", "hidden_units": profile.wide_mlp_hidden_units, **steps}
    points += [{**wide, "global_batch_size": b} for b in sizes.mfu_batch_sizes]
    for strategy, knob in KNOBS:
        if strategy in profile.strategies:
            base = {"strategy": strategy, "replicas": profile.replicas_for(strategy), "model": "mlp", **steps}
            points.append({**base, "global_batch_size": sizes.knob_batch_size, **knob})
    # The one knob that could lift the wide MLP's MFU: no Python dispatch between steps.
    spe = {"steps_per_execution": 8}
    points.append({**wide, "global_batch_size": sizes.mfu_batch_sizes[0], **spe})
    return points


def test_throughput(measure_run, spec):
    result = measure_run(spec)
    assert result["examples_per_sec"] > 0
    assert result["train_traces"] == 1, "the step must be traced once, not per round"
