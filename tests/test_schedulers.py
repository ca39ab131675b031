"""The cluster as schedulers describe it: Slurm's job-step variables and a Kubernetes operator's TF_CONFIG.

A real one-node Slurm (.ci/slurm-single-node: munged, slurmctld, slurmd) runs
`srun -n 2 python -m bench_lib run --strategy multi_worker` when this machine can start one
(root, Debian's slurm-wlm and munge installed); otherwise that test skips with the reason and the
resolver is still tested with the exact variables srun set there.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from bench_lib.config import cluster as cluster_lib
from bench_lib.engine import slurm

import background

ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = ROOT / "docs/running/several-machines"
SLURM_DIR = Path("/tmp/tfbench-slurm")

# What srun -n 2 set in task 1 on the one-node Slurm of .ci/slurm-single-node (all its SLURM_* but the pids).
SRUN_TASK_1 = {
    "SLURM_CLUSTER_NAME": "tfbench", "SLURM_CPUS_ON_NODE": "2", "SLURM_GTIDS": "0,1", "SLURM_JOBID": "1",
    "SLURM_JOB_CPUS_PER_NODE": "2", "SLURM_JOB_ID": "1", "SLURM_JOB_NAME": "sh", "SLURM_JOB_NODELIST": "localhost",
    "SLURM_JOB_NUM_NODES": "1", "SLURM_JOB_PARTITION": "tfbench", "SLURM_LAUNCH_NODE_IPADDR": "127.0.0.1",
    "SLURM_LOCALID": "1", "SLURM_NNODES": "1", "SLURM_NODEID": "0", "SLURM_NODELIST": "localhost",
    "SLURM_NPROCS": "2", "SLURM_NTASKS": "2", "SLURM_PROCID": "1", "SLURM_STEPID": "0", "SLURM_STEP_ID": "0",
    "SLURM_STEP_NODELIST": "localhost", "SLURM_STEP_NUM_NODES": "1", "SLURM_STEP_NUM_TASKS": "2",
    "SLURM_STEP_TASKS_PER_NODE": "2", "SLURM_TASKS_PER_NODE": "2", "SLURM_TOPOLOGY_ADDR": "localhost",
}  # fmt: skip


@pytest.fixture
def environ(monkeypatch):
    """os.environ without TF_CONFIG or SLURM_* (SlurmClusterResolver reads os.environ itself)."""
    for name in list(os.environ):
        if name.startswith("SLURM_") or name in ("TF_CONFIG", "CUDA_VISIBLE_DEVICES"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")  # the resolver's CPU path on every machine

    def set_all(variables):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return set_all


def test_the_variables_srun_sets_give_the_cluster_and_this_task(environ):
    environ(SRUN_TASK_1)
    cluster = slurm.resolve("auto")
    assert cluster == cluster_lib.Cluster(
        chief=(), worker=("localhost:8888", "localhost:8889"), task_type="worker", task_index=1, source="slurm"
    )
    assert cluster.task_name == "worker 1 of 2" and not cluster.is_chief
    assert cluster_lib.parse_tf_config(cluster.to_tf_config()) == cluster_lib.Cluster(
        chief=(), worker=cluster.worker, task_type="worker", task_index=1
    ), "the TF_CONFIG TensorFlow is given describes the same cluster"


def test_two_nodes_with_two_tasks_each_are_ordered_by_host(environ):
    environ({**SRUN_TASK_1, "SLURM_PROCID": "2", "SLURM_STEP_NUM_TASKS": "4", "SLURM_STEP_NODELIST": "gpu[07-08]",
             "SLURM_STEP_TASKS_PER_NODE": "2(x2)"})  # fmt: skip
    cluster = slurm.resolve("slurm")
    assert cluster.worker == ("gpu07:8888", "gpu07:8889", "gpu08:8888", "gpu08:8889")
    assert (cluster.task_index, cluster.rank) == (2, 2)


def test_auto_prefers_tf_config_and_ignores_a_one_task_step(environ, monkeypatch):
    environ({**SRUN_TASK_1, "SLURM_STEP_NUM_TASKS": "1", "SLURM_STEP_TASKS_PER_NODE": "1", "SLURM_PROCID": "0"})
    assert slurm.resolve("auto") is None, "pytest under srun -n 1 stays a single process"
    environ(SRUN_TASK_1)
    monkeypatch.setenv("TF_CONFIG", cluster_lib.tf_config(["a:1", "b:1"], 0))
    assert slurm.resolve("auto").source == "tf_config"
    assert slurm.resolve("slurm").source == "slurm"


def test_slurm_outside_a_job_step_is_one_line_before_tensorflow():
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")} | {"PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-X", "importtime", "-m", "bench_lib", "run", "--strategy", "multi_worker"]
    done = subprocess.run([*command, "--cluster", "slurm"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    error = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert error == [
        "python -m bench_lib: error: cluster='slurm' is not allowed: SLURM_PROCID is not set; run the command "
        "under srun, which sets SLURM_PROCID, SLURM_STEP_NUM_TASKS, SLURM_STEP_NODELIST, SLURM_STEP_TASKS_PER_NODE"
    ]
    assert "tensorflow" not in done.stderr, "TensorFlow was never imported"


def _slurm_unavailable() -> str | None:
    if os.geteuid() != 0:
        return "a one-node Slurm needs root to start munged, slurmctld and slurmd"
    if not all(shutil.which(c) for c in ("srun", "slurmctld", "slurmd", "munged")):
        return "Slurm is not installed (apt-get install -y slurm-wlm munge; .ci/run does)"
    return None


@background.job("slurm_run")
def _slurm_run(out: Path):
    """srun -n 2 of `run --strategy multi_worker` on the one-node Slurm; a skip reason if there is none."""
    if reason := _slurm_unavailable():
        return reason
    env = {**os.environ, "TFBENCH_SLURM_DIR": str(SLURM_DIR)}
    started = background.run([str(ROOT / ".ci/slurm-single-node")], timeout=120, env=env)
    if started.returncode != 0:
        return f"the one-node Slurm did not start: {started.stderr.strip()}"
    env |= {"SLURM_CONF": str(SLURM_DIR / "slurm.conf"), "PYTHONPATH": str(ROOT)}
    command = [
        "srun", "-n", "2", "--time", "10", sys.executable, "-m", "bench_lib", "run", "--strategy", "multi_worker",
        "--steps", "2", "--warmup-steps", "0", "--batch-size", "64", "-q", "--json", str(out / "slurm.json"),
    ]  # fmt: skip
    done = background.run(command, timeout=600, cwd=out, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((out / "slurm.json").read_text()), done.stdout


@pytest.fixture(scope="module")
def slurm_run():
    value = background.wait("slurm_run")
    if isinstance(value, str):
        pytest.skip(value)
    return value


def test_srun_starts_a_two_worker_run_whose_chief_saves_it(slurm_run):
    result, stdout = slurm_run
    assert result["id"] == "multi_worker2x1-bs64-acc1-mlp-adam"
    assert (result["workers"], result["status"]) == (2, "ok")
    assert "worker 1 of 2: not writing" in stdout, "task 1 trained alongside and left the writing to the chief"


def _pod_configs(job: dict) -> list[str]:
    """The TF_CONFIG the Kubeflow operator writes for each pod of a TFJob, chief first."""
    jobs = {kind.lower(): spec["replicas"] for kind, spec in job["spec"]["tfReplicaSpecs"].items()}
    name, port = job["metadata"]["name"], 2222
    cluster = {kind: [f"{name}-{kind}-{i}.default.svc:{port}" for i in range(n)] for kind, n in jobs.items()}
    tasks = [(kind, i) for kind in ("chief", "worker") for i in range(jobs.get(kind, 0))]
    return [json.dumps({"cluster": cluster, "task": {"type": t, "index": i}, "environment": "cloud"}) for t, i in tasks]


def test_the_tfjob_manifest_gives_the_chief_rank_0_and_the_workers_1_to_n():
    from tensorflow.python.distribute import multi_worker_util
    from tensorflow.python.training.server_lib import ClusterSpec

    (job,) = yaml.safe_load_all((MANIFESTS / "tfjob.yaml").read_text())
    clusters = [cluster_lib.parse_tf_config(text) for text in _pod_configs(job)]
    assert [c.rank for c in clusters] == [0, 1, 2] and [c.is_chief for c in clusters] == [True, False, False]
    assert [c.task_name for c in clusters] == ["chief 0 of 3", "worker 0 of 3", "worker 1 of 3"]
    for c in clusters:  # the same order TensorFlow gives the collective group
        spec = ClusterSpec({"chief": list(c.chief), "worker": list(c.worker)})
        assert multi_worker_util.id_in_cluster(spec, c.task_type, c.task_index) == c.rank


def test_each_pod_of_the_indexed_job_writes_its_own_tf_config():
    _, job = yaml.safe_load_all((MANIFESTS / "indexed-job.yaml").read_text())
    (script,) = job["spec"]["template"]["spec"]["containers"][0]["args"]
    setup = script.split(" && exec ")[0]
    for index in range(job["spec"]["completions"]):
        env = {"PATH": os.environ["PATH"], "JOB_COMPLETION_INDEX": str(index)}
        done = subprocess.run(
            ["sh", "-c", setup + ' && printf %s "$TF_CONFIG"'], env=env, capture_output=True, text=True
        )
        cluster = cluster_lib.parse_tf_config(done.stdout)
        assert cluster.worker == ("tfbench-0.tfbench:2222", "tfbench-1.tfbench:2222")
        assert (cluster.task_index, cluster.is_chief) == (index, index == 0)
