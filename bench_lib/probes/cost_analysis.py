"""Counts the FLOPs TensorFlow's own cost analysis finds in a model's traced training step.

This is the reference the analytic counts of bench_lib/probes/flops.py are checked against. The
step — forward pass, cross-entropy loss, gradients, one SGD update — is traced once with a fixed
batch size, and TensorFlow's profiler (tf.compat.v1.profiler) adds up the statistics each op
registers: 2 FLOPs per multiply-add for MatMul, Conv2D and their gradients, one per element for
most elementwise ops. Nothing runs, so it is cheap; but the count is of the traced graph, before
TensorFlow prunes it, and op types that register no statistics (Relu, Einsum, the depthwise
convolution's gradients, ...) count zero here, so compare per op type
(see op_flops) when a model relies on them.
"""

from __future__ import annotations

from collections import Counter

import keras
import tensorflow as tf


def op_flops(model: keras.Model, batch_size: int, *, input_dtype: tf.DType = tf.float32) -> dict[str, int]:
    """FLOPs of one training step of model on batch_size examples, by TensorFlow op type.

    input_dtype is float32 for images, int32 for token ids; the labels are int32 class indices.
    """
    loss = keras.losses.SparseCategoricalCrossentropy()
    optimizer = keras.optimizers.SGD(learning_rate=0.01)
    optimizer.build(model.trainable_variables)

    @tf.function
    def step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            value = loss(y, model(x, training=True))
        optimizer.apply(tape.gradient(value, model.trainable_variables), model.trainable_variables)
        return value

    graph = step.get_concrete_function(
        tf.TensorSpec((batch_size, *model.input_shape[1:]), input_dtype), tf.TensorSpec((batch_size,), tf.int32)
    ).graph
    return graph_op_flops(graph)


def graph_op_flops(graph: tf.Graph) -> dict[str, int]:
    """FLOPs TensorFlow's profiler counts in one graph (not in the functions it calls), by op type."""
    builder = tf.compat.v1.profiler.ProfileOptionBuilder
    options = builder(builder.float_operation()).with_empty_output().build()
    # The profiler calls a TF1 helper that logs a deprecation warning; a run's output is its own lines only.
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        profile = tf.compat.v1.profiler.profile(graph, options=options, cmd="op")
    finally:
        logger.setLevel(level)
    return dict(_by_op_type(profile))


def step_flops(model: keras.Model, batch_size: int, *, input_dtype: tf.DType = tf.float32) -> int:
    """All FLOPs TensorFlow counts in one training step of model on batch_size examples."""
    return sum(op_flops(model, batch_size, input_dtype=input_dtype).values())


def _by_op_type(node: object) -> Counter:
    """The profiler's 'op' view as {op type: FLOPs}; it nests the types as a chain of children."""
    counts = Counter()
    stack = list(node.children)
    while stack:
        child = stack.pop()
        counts[child.name] += child.float_ops
        stack.extend(child.children)
    return counts
