"""Run by tests/test_multi_worker.py on every worker of a launched cluster (not a test module itself).

Usage: python tests/multi_worker_one_step.py OUT_DIR [COLLECTIVE BYTES_PER_PACK]. Trains one SGD step
under multi_worker with and without accumulation, after a configuration whose data only the chief
has; the chief saves the weights, the first result and what that configuration raised to OUT_DIR.
"""

import sys
from pathlib import Path

from bench_lib.config import cluster as cluster_lib
from bench_lib.config.spec import RunSpec

ONE_STEP = {"optimizer": "sgd", "learning_rate": 0.5, "dropout": 0.0, "steps": 1, "warmup_steps": 0}


def main(out: Path, collective: str = "auto", bytes_per_pack: str = "0") -> None:
    cluster = cluster_lib.from_environ()
    per_worker = cluster_lib.replicas_per_worker_from_environ()
    shape = {
        "strategy": "multi_worker",
        "workers": cluster.workers,
        "replicas": cluster.workers * per_worker,
        "collective": collective,
        "bytes_per_pack": int(bytes_per_pack),
    }
    from bench_lib.engine import runner, strategy

    strategy.configure_for(RunSpec(**shape), cluster)  # first: before any other TensorFlow op
    import numpy as np

    weights, results = {}, []
    data_error = _a_worker_without_data(out, cluster, shape)
    for accumulation_steps in (1, 2):
        spec = RunSpec(**ONE_STEP, **shape, global_batch_size=64, accumulation_steps=accumulation_steps)
        prepared = runner.prepare(spec)
        prepared.loop.before_step()
        prepared.loop.step()
        for i, variable in enumerate(prepared.model.trainable_variables):
            weights[f"acc{accumulation_steps}_{i}"] = variable.numpy()
        if not results:  # one result shows the cluster shape; concluding (evaluations) is the costly part
            results.append(runner.conclude(prepared))
    result = results[0]
    if cluster.is_chief:
        np.savez(out / "weights.npz", **weights)
        (out / "result.json").write_text(result.to_json())
        (out / "data_error.txt").write_text(data_error)
    print(f"{cluster.task_name}: done", flush=True)


def _a_worker_without_data(out: Path, cluster: cluster_lib.Cluster, shape: dict) -> str:
    """Only the chief has this configuration's data file: every worker must give it up together."""
    import numpy as np

    from bench_lib.engine import preparation

    path = out / f"mnist-{cluster.task_index}.npz"
    if cluster.is_chief:
        rng = np.random.default_rng(0)
        images, labels = rng.integers(0, 255, (128, 28, 28), np.uint8), rng.integers(0, 10, 128, np.uint8)
        np.savez(path, x_train=images, y_train=labels, x_test=images, y_test=labels)
    try:
        preparation.prepare(RunSpec(**shape, dataset="mnist", data_path=str(path), global_batch_size=64))
    except (preparation.NotOnEveryWorkerError, FileNotFoundError) as error:
        return f"{type(error).__name__}: {error}"
    return "no error"


if __name__ == "__main__":
    main(Path(sys.argv[1]), *sys.argv[2:])
