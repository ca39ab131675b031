"""multi_worker on two local worker processes, started by the launcher like a user would.

As root (CI), a second cluster runs each worker in its own network namespace (`launch --netns`),
so gRPC and the all-reduce cross real interfaces; so does the suite run.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench_lib.cli.launch import netns

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
import background  # noqa: E402
from test_train import max_difference, weights_after_one_step  # noqa: E402

NETNS = [] if netns.unavailable() else ["--netns"]


def _one_step(out: Path, launch_options: list[str], collective: list[str]):
    """2 workers x 2 replicas: one SGD step at global batch 64, with 1 and 2 accumulation steps."""
    command = [
        sys.executable, "-m", "bench_lib", "launch", "--workers", "2", "--replicas-per-worker", "2", *launch_options,
        "--", sys.executable, "tests/multi_worker_one_step.py", str(out), *collective,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = background.run(command, timeout=300, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with np.load(out / "weights.npz") as saved:
        weights = {k: saved[k] for k in saved.files}
    return weights, json.loads((out / "result.json").read_text()), done.stdout, (out / "data_error.txt").read_text()


@background.job("two_workers")
def _two_workers(out: Path):
    return _one_step(out, [], [])


@background.job("two_namespaces")
def _two_namespaces(out: Path):
    """The same step with each worker in its own namespace, ring all-reduce in 1 KiB packs."""
    return _one_step(out, ["--netns"], ["ring", "1024"])


@pytest.fixture(scope="module")
def two_workers():
    return background.wait("two_workers")


@pytest.fixture(scope="module")
def two_namespaces():
    if not NETNS:
        pytest.skip(str(netns.unavailable()))
    return background.wait("two_namespaces")


def test_two_workers_in_two_namespaces_take_the_same_step_as_on_localhost(two_workers, two_namespaces):
    local, across, (_, result, _, _) = two_workers[0], two_namespaces[0], two_namespaces
    assert sorted(local) == sorted(across)
    assert max_difference([local[k] for k in sorted(local)], [across[k] for k in sorted(across)]) < 1e-6
    assert result["id"] == "multi_worker2x2-bs64-acc1-mlp-sgd-ring-pack1024"
    spec = result["spec"]
    assert (spec["collective"], spec["bytes_per_pack"], spec["collective_timeout_s"]) == ("ring", 1024, None)


def test_two_workers_take_the_same_step_as_one_device_at_the_same_global_batch(two_workers):
    weights, _, _, _ = two_workers
    one_device = weights_after_one_step(global_batch_size=64)
    for accumulation_steps in (1, 2):
        multi = [weights[f"acc{accumulation_steps}_{i}"] for i in range(len(one_device))]
        assert max_difference(one_device, multi) < 1e-5, f"accumulation_steps={accumulation_steps}"


def test_the_result_records_the_cluster_shape_and_only_the_chief_reports(two_workers):
    _, result, stdout, _ = two_workers
    assert result["id"] == "multi_worker2x2-bs64-acc1-mlp-sgd"
    assert (result["workers"], result["replicas_per_worker"], result["replicas"]) == (2, 2, 4)
    assert result["status"] == "ok" and result["micro_batch_size"] == 16
    assert len(result["devices"]) == 2, "this worker's replicas"
    lines = stdout.splitlines()
    assert "[worker 0] worker 0 of 2: done" in lines
    assert all(line.startswith("[worker 0] ") for line in lines), "only the chief's output is streamed"


def test_data_missing_on_one_worker_makes_every_worker_give_up_that_configuration_together(two_workers):
    *_, data_error = two_workers
    # The chief had the file; worker 1 did not. Both went on in step to the weight comparison above.
    assert data_error == (
        "NotOnEveryWorkerError: multi_worker2x2-bs64-acc1-mlp-adam: another worker could not load "
        "dataset='mnist', so no worker trains this configuration; see that worker's output"
    )


@background.job("two_worker_suite")
def _two_worker_suite(out: Path):
    """The batch-size question on one_device (chief only) and on 2 workers x 1 replica, saved like a user would;
    as root, each worker in its own network namespace."""
    command = [
        sys.executable, "-m", "bench_lib", "launch", "--workers", "2", "--all-output", *NETNS, "--",
        sys.executable, "-m", "pytest", str(ROOT / "benchmarks/test_batch_size.py"), "-q", "-rs",
        "-k", "not fixed_steps and not equal_convergence", "-p", "no:cacheprovider", f"--rootdir={ROOT}",
        "--bench-batch-sizes", "128", "--bench-epochs", "1",
        f"--benchmark-json={out / 'run.json'}", "--benchmark-save=two-workers", f"--benchmark-storage={out}",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = background.run(command, timeout=300, cwd=out, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out, done.stdout


@pytest.fixture(scope="module")
def two_worker_suite():
    return background.wait("two_worker_suite")


def test_the_suite_runs_multi_worker_and_only_the_chief_saves(two_worker_suite):
    out, stdout = two_worker_suite
    saved = json.loads((out / "run.json").read_text())
    by_id = {b["extra_info"]["id"]: b["extra_info"] for b in saved["benchmarks"]}
    assert sorted(by_id) == ["multi_worker2x1-bs128-acc1-mlp-adam", "one_device-bs128-acc1-mlp-adam"]
    multi = by_id["multi_worker2x1-bs128-acc1-mlp-adam"]
    assert (multi["workers"], multi["replicas_per_worker"], multi["replicas"]) == (2, 1, 2)
    expected = multi["examples_per_sec"] / (2 * by_id["one_device-bs128-acc1-mlp-adam"]["examples_per_sec"])
    assert multi["scaling_efficiency"] == pytest.approx(expected)
    assert saved["machine_info"]["tfbench_cluster"]["workers"] == 2
    if NETNS:
        assert saved["machine_info"]["tfbench_cluster"]["addresses"] == ["198.18.0.1:12345", "198.18.0.2:12345"]
    assert "[worker 1] " in stdout and "worker 1 of 2: a single-process configuration runs on the chief only" in stdout
    assert len(list(out.rglob("*two-workers.json"))) == 1, "one saved run: the chief's"


@pytest.mark.parametrize(
    ("tf_config", "message"),
    [
        ("{not json", "TF_CONFIG='{not json' is not allowed: not valid JSON"),
        ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}', "task.index=1 is out of range"),
    ],
)
def test_a_bad_tf_config_stops_the_run_in_one_line_before_tensorflow(tf_config, message):
    env = {**os.environ, "TF_CONFIG": tf_config, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-X", "importtime", "-m", "bench_lib", "run", "--strategy", "multi_worker"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    error = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert len(error) == 1 and error[0].startswith("python -m bench_lib: error: ") and message in error[0]
    assert "tensorflow" not in done.stderr, "TensorFlow was never imported"
