"""Sync BN: BN statistics per replica (local) or over all replicas (sync), at small per-replica batches.

Runs on every multi-replica strategy of the profile (mirrored; multi_worker under a cluster).

With 2 replicas and global batch 16, local BN normalizes each replica's 8 examples on their
own; sync BN all-reduces the moments so every replica normalizes with the 16-example
statistics, at the cost of two all-reduces per BN layer per step. `none` is the plain mlp.
"""


def grid(profile):
    # BN can only be synchronized across replicas: every multi-replica strategy of the profile.
    sizes = profile.sizes("sync_bn")
    strategies = [strategy for strategy in profile.strategies if strategy != "one_device"]
    return [
        {
            **profile.shape(strategy),
            "model": "mlp" if bn == "none" else "mlp_bn",
            "bn": bn,
            "global_batch_size": batch,
            "epochs": sizes.epochs,
        }
        for strategy in strategies
        for batch in sizes.batch_sizes
        for bn in sizes.modes
    ]


def test_sync_bn(measure_run, spec):
    result = measure_run(spec)
    assert result["history"], "every run records its learning curve"
