"""Reads and writes TF_CONFIG, the cluster description every multi-worker TensorFlow process gets.

Pure Python, no TensorFlow: a bad TF_CONFIG is reported in one line before TensorFlow starts.
MultiWorkerMirroredStrategy runs `worker` tasks, optionally with one `chief` task; the chief
(or worker 0 when there is no chief job) is the one task that saves results. Operators such as
Kubeflow's TFJob write TF_CONFIG with both jobs (and keys of their own, which are ignored).
The cluster can also come from Slurm: `--cluster slurm`, or by itself in a job step of more than
one task (srun -n 2) without TF_CONFIG; bench_lib.engine.slurm builds it with TensorFlow's
SlurmClusterResolver from the variables checked here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

TF_CONFIG_ENV = "TF_CONFIG"
# The launcher tells each worker how many replicas to run; `--replicas-per-worker` overrides it.
REPLICAS_PER_WORKER_ENV = "TFBENCH_REPLICAS_PER_WORKER"
JOBS = ("chief", "worker")
# Where a run's cluster comes from: auto is TF_CONFIG if set, else Slurm in a job step of 2 tasks or more.
SOURCES = ("auto", "tf_config", "slurm")
# What srun sets in every task of a job step and SlurmClusterResolver reads.
SLURM_VARIABLES = ("SLURM_PROCID", "SLURM_STEP_NUM_TASKS", "SLURM_STEP_NODELIST", "SLURM_STEP_TASKS_PER_NODE")


@dataclass(frozen=True, kw_only=True)
class Cluster:
    """The cluster of one multi-worker run, as seen by one of its tasks."""

    chief: tuple[str, ...]
    worker: tuple[str, ...]
    task_type: str
    task_index: int
    source: str = "tf_config"  # or "slurm": where the cluster was read from

    @property
    def workers(self) -> int:
        """Processes that train: the chief (if any) and the workers."""
        return len(self.chief) + len(self.worker)

    @property
    def rank(self) -> int:
        """0 for the chief; the chief job, when present, comes before the worker job."""
        return self.task_index if self.task_type == "chief" else len(self.chief) + self.task_index

    @property
    def is_chief(self) -> bool:
        return self.rank == 0

    @property
    def task_name(self) -> str:
        """e.g. 'worker 1 of 2'."""
        return f"{self.task_type} {self.task_index} of {self.workers}"

    def to_tf_config(self) -> str:
        """The TF_CONFIG that describes this cluster and task."""
        jobs = {"chief": list(self.chief)} if self.chief else {}
        jobs["worker"] = list(self.worker)
        return json.dumps({"cluster": jobs, "task": {"type": self.task_type, "index": self.task_index}})


def _bad(text: str, allowed: str) -> ValueError:
    shown = text if len(text) <= 300 else text[:300] + "..."
    return ValueError(f"{TF_CONFIG_ENV}={shown!r} is not allowed: {allowed}")


def parse_tf_config(text: str) -> Cluster:
    """The cluster a TF_CONFIG string describes.

    Raises:
      ValueError: one line naming TF_CONFIG, its value and what is wrong (bad JSON, no cluster,
        an unknown job, a bad address, no task, a task type or index the cluster does not have).
    """
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise _bad(text, f"not valid JSON ({error})") from None
    if not isinstance(config, dict):
        raise _bad(text, 'a JSON object with "cluster" and "task"')
    jobs = config.get("cluster")
    if not isinstance(jobs, dict) or not jobs:
        raise _bad(text, '"cluster" must map job names (chief, worker) to lists of "host:port" addresses')
    unknown = sorted(set(jobs) - set(JOBS))
    if unknown:
        raise _bad(text, f"job {unknown[0]!r} is not run by multi_worker; use only chief (at most 1) and worker")
    for job, addresses in jobs.items():
        if not isinstance(addresses, list) or not addresses or not all(_is_address(a) for a in addresses):
            raise _bad(text, f'cluster.{job} must be a non-empty list of "host:port" addresses')
    if len(jobs.get("chief", [])) > 1:
        raise _bad(text, "at most 1 chief")
    task = config.get("task")
    if not isinstance(task, dict) or "type" not in task or "index" not in task:
        raise _bad(text, 'a "task" with "type" and "index" is missing: which task is this process?')
    task_type, index = task["type"], task["index"]
    if task_type not in jobs:
        raise _bad(text, f"task.type={task_type!r} is not a job of the cluster ({', '.join(jobs)})")
    count = len(jobs[task_type])
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
        raise _bad(
            text, f"task.index={index!r} is out of range: cluster.{task_type} has {count} tasks (0..{count - 1})"
        )
    return Cluster(
        chief=tuple(jobs.get("chief", ())), worker=tuple(jobs.get("worker", ())), task_type=task_type, task_index=index
    )


def _is_address(value: object) -> bool:
    if not isinstance(value, str):
        return False
    host, _, port = value.rpartition(":")
    return bool(host) and port.isdigit() and 0 < int(port) < 65536


def from_environ(environ: Mapping[str, str] | None = None) -> Cluster | None:
    """The cluster TF_CONFIG describes, or None when TF_CONFIG is unset or empty.

    Raises:
      ValueError: TF_CONFIG is set but invalid (see parse_tf_config).
    """
    text = (os.environ if environ is None else environ).get(TF_CONFIG_ENV, "")
    return parse_tf_config(text) if text.strip() else None


def slurm_source(choice: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether the cluster comes from Slurm: `--cluster slurm`, or auto in a step of 2+ tasks without TF_CONFIG.

    Raises:
      ValueError: the choice is unknown, or slurm is chosen outside a Slurm job step (a variable is missing).
    """
    environ = os.environ if environ is None else environ
    if choice not in SOURCES:
        raise ValueError(f"cluster={choice!r} is not allowed: choose one of {', '.join(SOURCES)}")
    missing = [name for name in SLURM_VARIABLES if not environ.get(name, "").strip()]
    if choice == "slurm":
        if missing:
            raise ValueError(
                f"cluster='slurm' is not allowed: {missing[0]} is not set; run the command under srun, "
                f"which sets {', '.join(SLURM_VARIABLES)}"
            )
        return True
    if choice == "tf_config" or environ.get(TF_CONFIG_ENV, "").strip() or missing:
        return False
    tasks = environ["SLURM_STEP_NUM_TASKS"].strip()
    return tasks.isdigit() and int(tasks) > 1


def replicas_per_worker_from_environ(environ: Mapping[str, str] | None = None) -> int:
    """TFBENCH_REPLICAS_PER_WORKER (set by the launcher), else 1.

    Raises:
      ValueError: it is set to something other than a whole number >= 1.
    """
    text = (os.environ if environ is None else environ).get(REPLICAS_PER_WORKER_ENV, "").strip()
    if not text:
        return 1
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{REPLICAS_PER_WORKER_ENV}={text!r} is not allowed: a whole number >= 1")
    return int(text)


def tf_config(addresses: list[str], index: int) -> str:
    """The TF_CONFIG of worker `index` in a cluster of workers at `addresses` (worker 0 is the chief)."""
    return json.dumps({"cluster": {"worker": list(addresses)}, "task": {"type": "worker", "index": index}})


def shape(
    strategy: str,
    cluster: Cluster | None,
    *,
    replicas: int | None = None,
    workers: int | None = None,
    replicas_per_worker: int | None = None,
    default_replicas: int = 1,
    environ: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """The replicas and workers fields of a run: the one place the command line (and the suite) work them out.

    Outside multi_worker a run is 1 process of `replicas` (default_replicas unless given). A
    multi_worker run has the cluster's workers (1 without a cluster), each running
    replicas_per_worker replicas (unless given: TFBENCH_REPLICAS_PER_WORKER, else 1); a given
    `replicas` or `workers` must agree with that.

    Raises:
      ValueError: naming the value that does not fit and what would.
    """
    if strategy != "multi_worker":
        if replicas_per_worker is not None:
            raise ValueError(
                f"replicas_per_worker={replicas_per_worker!r} is not allowed: only for strategy='multi_worker'"
            )
        return {
            "replicas": default_replicas if replicas is None else replicas,
            "workers": 1 if workers is None else workers,
        }
    if replicas_per_worker is None:
        replicas_per_worker = replicas_per_worker_from_environ(environ)
    elif isinstance(replicas_per_worker, bool) or not isinstance(replicas_per_worker, int) or replicas_per_worker < 1:
        raise ValueError(f"replicas_per_worker={replicas_per_worker!r} is not allowed: a whole number >= 1")
    processes = cluster.workers if cluster is not None else 1
    source = "Slurm" if cluster is not None and cluster.source == "slurm" else "TF_CONFIG"
    if workers is not None and workers != processes:
        raise ValueError(f"workers={workers!r} is not allowed: the cluster has {processes} (from {source})")
    total = processes * replicas_per_worker
    if replicas is not None and replicas != total:
        raise ValueError(
            f"replicas={replicas!r} is not allowed: multi_worker runs workers x replicas_per_worker = "
            f"{processes} x {replicas_per_worker} = {total} replicas (workers from {source})"
        )
    return {"replicas": total, "workers": processes}
