"""The alternatives the suite's own training step is measured against: a minimal tf.function loop and keras.Model.fit.

Both train the same model (build_model), optimizer (build_optimizer) and tf.data pipeline
(global_batches) as the suite for the same spec, without a tf.distribute strategy, so the
differences are the harness's: the strategy, accumulation loop, accuracy count and per-step
bookkeeping on one side, Keras's trainer on the other. fit gets the spec's jit_compile and
steps_per_execution (its own default jit_compile="auto" would turn XLA on).
"""

from __future__ import annotations

import time

import keras
import tensorflow as tf

from bench_lib import data as data_lib
from bench_lib.model import build_model, build_optimizer
from bench_lib.spec import RunSpec


def _build(spec: RunSpec, data: data_lib.Dataset) -> tuple[keras.Model, keras.optimizers.Optimizer]:
    keras.backend.clear_session()
    model = build_model(spec, data.image_shape, data.num_classes)
    optimizer = build_optimizer(spec)
    optimizer.build(model.trainable_variables)
    return model, optimizer


def handwritten_step_times(spec: RunSpec, data: data_lib.Dataset, steps: int, warmup: int) -> list[float]:
    """Seconds of each of `steps` timed calls of the textbook loop, each waiting for the loss.

    The step is the one every TensorFlow tutorial writes: next batch, forward under a
    GradientTape, mean loss, gradients, apply — one tf.function taking the iterator.
    """
    model, optimizer = _build(spec, data)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    iterator = iter(data_lib.global_batches(data, spec))

    @tf.function
    def train_step(iterator: tf.data.Iterator) -> tf.Tensor:
        x, y = next(iterator)
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        optimizer.apply_gradients(
            zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables, strict=True)
        )
        return loss

    times = []
    for step in range(warmup + steps):
        start = time.perf_counter()
        train_step(iterator).numpy()
        if step >= warmup:
            times.append(time.perf_counter() - start)
    return times


def fit_seconds_per_step(spec: RunSpec, data: data_lib.Dataset, steps: int, warmup: int) -> float:
    """Wall time of one model.fit() epoch of `steps` steps, per step, after a warm-up fit that traces."""
    model, optimizer = _build(spec, data)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
        jit_compile=spec.jit_compile,
        steps_per_execution=spec.steps_per_execution,
    )
    dataset = data_lib.global_batches(data, spec)
    model.fit(dataset, steps_per_epoch=max(warmup, spec.steps_per_execution), epochs=1, verbose=0, shuffle=False)
    start = time.perf_counter()
    model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    return (time.perf_counter() - start) / steps
