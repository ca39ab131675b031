"""Measures MFU of the standard model families, and the ceiling their own kernels set, in one process.

    PYTHONPATH=. python tools/dev/model_mfu.py [MODEL:BATCH ...]   # default: the full profile's first sizes

For each model and batch: one SGD training step on random data at the model's declared shape,
timed in ROUNDS rounds interleaved with the float32 2048^3 matmul that calibrates the peak
(bench_lib.probes.speed), so that both see the same machine load. Each call is rated by wall
time and by the process's CPU time spread over the cores (what the cores did while they ran this
process); the best of each is printed, with MFU = model rate / matmul rate by the same clock.
Then the same for the kernels the model is made of, alone (a 3x3 convolution of the model's
widest stage, a depthwise convolution, a Dense layer over a sequence), forward and backward:
the MFU no arrangement of those kernels can exceed on this CPU.
"""

from __future__ import annotations

import os
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from bench_lib.config import models
from bench_lib.config.spec import RunSpec
from bench_lib.engine.model import build_model
from bench_lib.probes.flops import training_flops_per_example

ROUNDS = 5
DEFAULT = ("resnet20:128", "resnet50:32", "mobilenet_v2:32", "transformer_small:64", "bert_base:8")
CORES = len(os.sched_getaffinity(0))


def rated(call, flops: float) -> tuple[float, float]:
    """GFLOP/s of one call by wall time and by CPU time over the cores."""
    start, start_cpu = time.perf_counter(), time.process_time()
    call()
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    return flops / wall / 1e9, flops / (cpu / CORES) / 1e9


def matmul():
    a = tf.random.stateless_uniform((2048, 2048), seed=(1, 2))
    b = tf.random.stateless_uniform((2048, 2048), seed=(3, 4))
    product = tf.function(lambda: tf.matmul(a, b)[0, 0])
    product().numpy()
    return lambda: product().numpy(), 2 * 2048**3


def training_step(model: keras.Model, batch: int, flops_per_example: int):
    shape = model.input_shape[1:]
    if model.input.dtype == "int32":
        x = tf.random.uniform((batch, *shape), 1, models.VOCABULARY_SIZE, tf.int32)
    else:
        x = tf.random.uniform((batch, *shape))
    y = tf.random.uniform((batch,), 0, 10, tf.int32)
    loss = keras.losses.SparseCategoricalCrossentropy()
    optimizer = keras.optimizers.SGD(0.01)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            value = loss(y, model(x, training=True))
        optimizer.apply(tape.gradient(value, model.trainable_variables), model.trainable_variables)
        return value

    step().numpy()
    step().numpy()
    return lambda: step().numpy(), flops_per_example * batch


def kernel(layer: keras.layers.Layer, input_shape: tuple[int, ...], multiply_adds: int):
    """Forward and backward of one layer alone: 6 x multiply-adds (2 for the forward, 4 backward)."""
    x = tf.random.uniform(input_shape)
    layer.build(input_shape)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(layer(x))
        # Every gradient feeds the result, so none of the backward pass is pruned away.
        return tf.add_n([tf.reduce_sum(g) for g in tape.gradient(y, [x, *layer.trainable_variables])])

    step().numpy()
    return lambda: step().numpy(), 6 * multiply_adds


def kernels(name: str, batch: int):
    if name.startswith("resnet"):  # the 3x3 convolution of the widest stage, at its resolution
        h, c = (8, 64) if name in ("resnet20", "resnet56") else (14, 256)
        yield "conv3x3", kernel(keras.layers.Conv2D(c, 3, padding="same"), (batch, h, h, c), batch * h * h * c * 9 * c)
    if name == "mobilenet_v2":
        h, c = 28, 192
        yield "1x1 conv", kernel(keras.layers.Conv2D(c, 1), (batch, h, h, c), batch * h * h * c * c)
        depthwise = keras.layers.DepthwiseConv2D(3, padding="same")
        yield "depthwise3x3", kernel(depthwise, (batch, h, h, c), batch * h * h * c * 9)
    if (size := models.declared(name).transformer) is not None:
        width, sequence = size.width, size.sequence_length
        dense = keras.layers.Dense(4 * width)
        yield "dense", kernel(dense, (batch, sequence, width), batch * sequence * width * 4 * width)


def compare(label: str, target, reference) -> None:
    best = np.zeros((2, 2))  # rows: target, matmul; columns: wall, cpu
    for _ in range(ROUNDS):
        for row, (call, flops) in enumerate((target, reference)):
            best[row] = np.maximum(best[row], rated(call, flops))
    ratio = best[0] / best[1]
    print(
        f"{label:28s} {best[0, 0]:7.1f} GFLOP/s wall  {best[0, 1]:7.1f} by CPU time   "
        f"matmul {best[1, 0]:6.1f} / {best[1, 1]:6.1f}   MFU {ratio[0]:.2f} wall, {ratio[1]:.2f} by CPU time",
        flush=True,
    )


def main(pairs: list[str]) -> None:
    reference = matmul()
    for pair in pairs:
        name, batch = pair.split(":")
        batch = int(batch)
        model = build_model(RunSpec(model=name, dataset="synthetic"), models.declared(name).input_shape, 10)
        compare(f"{name} batch {batch}", training_step(model, batch, training_flops_per_example(model)), reference)
        for label, target in kernels(name, batch):
            compare(f"  {label} alone", target, reference)
        keras.backend.clear_session()


if __name__ == "__main__":
    main(sys.argv[1:] or list(DEFAULT))
