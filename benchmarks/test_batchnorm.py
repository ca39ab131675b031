"""Batch normalization: the MLP with and without BatchNormalization across batch sizes, small ones included.

In the full profile also resnet20, where BN is part of the network: with bn local and none at each
of its batch sizes, and with bn local at the largest one split into accumulated micro-batches,
whose BN statistics are each micro-batch's own (ghost batches of micro_batch_size), not the
global batch's. On CIFAR-10 where the Keras cache holds it; else on synthetic data, where only
the throughput means anything.
"""


def grid(profile):
    sizes = profile.sizes("batchnorm")
    points = profile.accuracy_grid(
        model=("mlp", "mlp_bn"), global_batch_size=sizes.batch_sizes, seeds=profile.seeds_of_question()
    )
    if sizes.resnet_batch_sizes:
        resnet = {"model": "resnet20", "dataset": _resnet_dataset(), "epochs": sizes.resnet_epochs}
        points += profile.grid(bn=("local", "none"), global_batch_size=sizes.resnet_batch_sizes, **resnet)
        accumulated = {
            "global_batch_size": max(sizes.resnet_batch_sizes),
            "accumulation_steps": sizes.resnet_accumulation,
        }
        points += profile.grid(bn="local", **accumulated, **resnet)
    return points


def _resnet_dataset() -> str:
    from bench_lib.engine import cifar, data

    try:
        cifar.find_folder("cifar10", None, data.keras_cache_dir())
    except FileNotFoundError:
        return "synthetic"
    return "cifar10"


def test_batchnorm(measure_run, spec):
    result = measure_run(spec)
    assert result["history"], "every run records its learning curve"
