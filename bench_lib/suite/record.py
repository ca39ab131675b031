"""What a session keeps beyond pytest-benchmark's own figures.

Every configuration's result dict (for the summary and findings), and in the saved run: the
machine and the cluster (in machine_info), the load it was under (`tfbench_load`, kept out of
machine_info because it changes from run to run), the configurations that did not end 'ok'
(`tfbench_failures`) and whether the session was interrupted (`tfbench_interrupted`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from bench_lib.config import collective
from bench_lib.suite import stash


def recorder(request: pytest.FixtureRequest, question: str) -> Callable[[dict], None]:
    """Keeps a result for the session summary and, when not 'ok', for the saved run's tfbench_failures."""
    name, group = request.node.name, request.node.originalname

    def record(result: dict) -> None:
        entry = {"question": question, "name": name, "group": group, **result}
        request.config.stash.setdefault(stash.RESULTS, []).append(entry)

    return record


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    from bench_lib.probes.machine import machine_info as tf_machine_info

    machine_info.update(tf_machine_info())
    profile, cluster = config.stash[stash.PROFILE], config.stash[stash.CLUSTER]
    machine_info["tfbench_profile"] = profile.name
    machine_info["tfbench_cluster"] = {
        "workers": profile.workers,
        "replicas_per_worker": profile.replicas_per_worker,
        "addresses": list(cluster.chief + cluster.worker) if cluster else [],
        "source": cluster.source if cluster else None,
    }
    # A set-up fact of the fingerprint: trend keeps runs with other all-reduce settings apart.
    machine_info["tfbench_collective"] = dataclasses.asdict(collective.Settings.of(profile))
    from bench_lib.engine import threads  # a set-up fact too: thread pools and CPU affinity change the timings

    machine_info["tfbench_threads"] = threads.in_effect()


def pytest_benchmark_update_json(config: pytest.Config, benchmarks, output_json: dict) -> None:
    """Adds every configuration that did not end 'ok' to the saved run, and marks an interrupted run."""
    results = config.stash.get(stash.RESULTS, [])
    output_json["tfbench_failures"] = [r for r in results if r["status"] != "ok"]
    output_json["tfbench_interrupted"] = config.stash.get(stash.INTERRUPTED, False)
    if stash.LOAD_AT_START in config.stash:  # beside machine_info: it changes from run to run
        from bench_lib.probes import load

        output_json["tfbench_load"] = load.load_facts(config.stash[stash.LOAD_AT_START], load.snapshot())
