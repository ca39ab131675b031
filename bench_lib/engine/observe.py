"""Writes what TensorBoard shows of a configuration: a profiler trace of a few steady steps, and its scalars.

Both write with TensorFlow alone: the profiler is part of TensorFlow, and the scalars go through
the summary writer's low-level tf.summary.write with the scalar plugin's metadata, because
tf.summary.scalar itself needs the tensorboard package. Viewing them needs TensorBoard and, for
the trace, its profile plugin (pip install tensorboard tensorboard-plugin-profile), which tfbench
does not install. Each configuration writes under DIR/<its id>.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import tensorflow as tf

# Steady steps captured in a profiler trace: enough to see a step's ops repeat, few enough to open quickly.
TRACE_STEPS = 5


def trace_steps(step: Callable[[], object], logdir: Path, steps: int = TRACE_STEPS) -> Path:
    """Runs `step` `steps` times under TensorFlow's profiler, writing the trace under logdir; returns logdir.

    Call it after the timed steps: the profiler slows the steps it records.
    """
    logdir.mkdir(parents=True, exist_ok=True)
    tf.profiler.experimental.start(str(logdir))
    try:
        for index in range(steps):
            with tf.profiler.experimental.Trace("train", step_num=index, _r=1):
                step()
    finally:
        tf.profiler.experimental.stop()
    return logdir


# The learning-curve fields of a result's history written as scalars, per epoch at its optimizer step.
CURVES = ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "examples_per_sec")


def write_scalars(result: Mapping[str, object], logdir: Path, block_times_s: Sequence[float] = ()) -> Path:
    """A result's learning curves (per epoch), its blocks' per-step times and examples/s as TensorBoard scalars."""
    writer = tf.summary.create_file_writer(str(logdir))
    with writer.as_default():
        for epoch in result.get("history") or ():
            for name in CURVES:
                if epoch.get(name) is not None:
                    _scalar(f"curves/{name}", epoch[name], epoch["steps"])
        for index, seconds in enumerate(block_times_s):
            _scalar("speed/step_time_ms", seconds * 1000, index)
        if result.get("examples_per_sec") is not None:
            _scalar("speed/examples_per_sec", result["examples_per_sec"], result["optimizer_steps"])
    writer.close()
    return logdir


def _scalar(tag: str, value: float, step: int) -> None:
    """What tf.summary.scalar writes (a float32 scalar tagged for the scalars plugin), without tensorboard."""
    metadata = tf.compat.v1.SummaryMetadata(
        plugin_data=tf.compat.v1.SummaryMetadata.PluginData(plugin_name="scalars"),
        data_class=1,  # DATA_CLASS_SCALAR
    )
    tf.summary.write(tag, tf.constant(value, tf.float32), step=step, metadata=metadata)
