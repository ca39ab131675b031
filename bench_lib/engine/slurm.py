"""Finds a run's cluster: TF_CONFIG, or the Slurm job step it runs in through TensorFlow's SlurmClusterResolver.

srun starts one task per worker and sets SLURM_PROCID, SLURM_STEP_NUM_TASKS, SLURM_STEP_NODELIST
and SLURM_STEP_TASKS_PER_NODE in each; the resolver turns them into every task's host:port
(ports from `port_base` up on each node, tasks in hostname order) and this task's index. The
result is the same Cluster a TF_CONFIG gives, so everything after it is shared. TensorFlow is
imported only for Slurm, after bench_lib.config.cluster has checked the variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from bench_lib.config import cluster as cluster_lib
from bench_lib.config.cluster import Cluster
from bench_lib.config.collective import visible_gpus

DEFAULT_PORT_BASE = 8888


def resolve(choice: str, environ: Mapping[str, str] | None = None) -> Cluster | None:
    """The cluster `--cluster choice` names (auto, tf_config or slurm); None for a single process.

    Raises:
      ValueError: one line: a bad TF_CONFIG, a bad choice, slurm outside a job step, or variables
        the resolver cannot use.
    """
    if cluster_lib.slurm_source(choice, environ):
        return cluster_from_slurm()
    return cluster_lib.from_environ(environ)


def cluster_from_slurm(port_base: int = DEFAULT_PORT_BASE) -> Cluster:
    """The cluster of this Slurm job step, as seen by this task (os.environ's SLURM_* variables).

    On nodes with GPUs the resolver shares them out and sets CUDA_VISIBLE_DEVICES for this task,
    as TensorFlow does; on CPU nodes it is given one notional device per task (it drops tasks
    beyond the device count otherwise) and sets nothing.

    Raises:
      ValueError: the variables do not describe a cluster (one line naming them).
    """
    from tensorflow.python.distribute.cluster_resolver import slurm_cluster_resolver as _slurm

    try:
        tasks_per_node = _slurm.expand_tasks_per_node(os.environ["SLURM_STEP_TASKS_PER_NODE"])
        gpus = visible_gpus()
        if gpus:
            resolver = _slurm.SlurmClusterResolver(port_base=port_base, gpus_per_node=gpus)
        else:
            most = max(tasks_per_node)
            resolver = _slurm.SlurmClusterResolver(
                port_base=port_base, gpus_per_node=most, gpus_per_task=1, auto_set_gpu=False
            )
        spec = resolver.cluster_spec().as_dict()
    except (KeyError, RuntimeError, ValueError) as error:
        shown = {name: os.environ.get(name) for name in sorted(os.environ) if name.startswith("SLURM_STEP")}
        raise ValueError(
            f"cluster='slurm' is not allowed: SlurmClusterResolver failed ({error}) with {shown}"
        ) from None
    worker = tuple(spec["worker"])
    return Cluster(chief=(), worker=worker, task_type=resolver.task_type, task_index=resolver.task_id, source="slurm")
