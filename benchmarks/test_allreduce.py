"""All-reduce bandwidth: nccl-tests' algbw, busbw and latency on each multi-replica strategy of the run.

One configuration per strategy of the profile (mirrored on one machine's logical devices,
multi_worker across the workers of a launched cluster), with the same sizes and collective
settings as `python -m bench_lib allreduce`, and the same probe (bench_lib/probes/allreduce_timing.py).
The whole sweep is one pytest-benchmark round; its rows (time, algbw, busbw per size) and the
latency are saved in extra_info, where the report reads them beside the training runs' step times.
"""

import pytest


def grid(profile):
    return [{**profile.shape(strategy), "global_batch_size": profile.replicas_for(strategy)}
            for strategy in profile.strategies]  # fmt: skip


def test_allreduce(benchmark, request, profile, spec, summary_lines):
    from bench_lib.engine import strategy
    from bench_lib.maths import allreduce_figures as allreduce
    from bench_lib.probes import allreduce_timing as probe
    from bench_lib.render import cluster_tables
    from bench_lib.suite import stash

    if spec.replicas == 1:
        pytest.skip(f"{spec.id}: one replica has nothing to all-reduce")
    cluster = request.config.stash[stash.CLUSTER]
    if cluster is not None and not cluster.is_chief and spec.workers == 1:  # as measure_run: the chief's alone
        pytest.skip(f"{cluster.task_name}: a single-process configuration runs on the chief only")
    sizes = profile.sizes("allreduce").sizes_bytes
    benchmark.group = "test_allreduce"
    rows = benchmark.pedantic(probe.measure, args=(strategy.build_strategy(spec), sizes), rounds=1, warmup_rounds=0)
    sweep = allreduce.sweep(spec.id, spec.as_dict(), rows)
    benchmark.extra_info.update(sweep)
    summary_lines.append("\n".join(cluster_tables.sweep_lines(sweep)))
    assert [r["size_bytes"] for r in rows] == list(sizes)
    assert all(r["busbw_gbps"] > 0 for r in rows)
