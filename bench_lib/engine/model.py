"""Builds the Keras models and optimizers a RunSpec names.

Call these inside strategy.scope() so that variables are created where the strategy wants.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from bench_lib.config.spec import RunSpec
from bench_lib.engine import schedule


def build_model(spec: RunSpec, image_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    """The spec's model, built for images of image_shape, with softmax outputs.

    mlp is exactly the seed article's Example 1, mlp_bn its Example 3 (mlp with spec.bn set is
    the same network), cnn a small conv net (with bn set: BN after each conv and hidden dense).
    spec.hidden_units sets the hidden Dense widths of all three (the seed's single 128 by default).
    spec.precision becomes the dtype policy of this model's layers only — Keras's global policy
    is never touched, so configurations in one process cannot leak into each other. The output
    layer always computes in float32, so softmax and the loss do.
    """
    keras.utils.set_random_seed(spec.seed)
    policy = keras.DTypePolicy(spec.precision)
    bn = spec.batch_norm
    hidden = (_cnn if spec.model == "cnn" else _mlp)(policy, bn, spec.hidden_units)
    head = [
        keras.layers.Dropout(spec.dropout, dtype=policy),
        keras.layers.Dense(num_classes, activation="softmax", dtype="float32"),
    ]
    return keras.Sequential([keras.Input(shape=image_shape), *hidden, *head], name=spec.model)


def _batch_norm(bn: str, policy: keras.DTypePolicy) -> list[keras.layers.Layer]:
    if bn == "none":
        return []
    return [keras.layers.BatchNormalization(synchronized=bn == "sync", dtype=policy)]


def _dense_stack(policy: keras.DTypePolicy, bn: str, units: tuple[int, ...]) -> list[keras.layers.Layer]:
    layers = []
    for width in units:
        layers += [keras.layers.Dense(width, activation="relu", dtype=policy), *_batch_norm(bn, policy)]
    return layers


def _mlp(policy: keras.DTypePolicy, bn: str, units: tuple[int, ...]) -> list[keras.layers.Layer]:
    return [keras.layers.Flatten(dtype=policy), *_batch_norm(bn, policy), *_dense_stack(policy, bn, units)]


def _cnn(policy: keras.DTypePolicy, bn: str, units: tuple[int, ...]) -> list[keras.layers.Layer]:
    return [
        keras.layers.Conv2D(32, 3, padding="same", activation="relu", dtype=policy),
        *_batch_norm(bn, policy),
        keras.layers.MaxPooling2D(2, dtype=policy),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu", dtype=policy),
        *_batch_norm(bn, policy),
        keras.layers.MaxPooling2D(2, dtype=policy),
        keras.layers.Flatten(dtype=policy),
        *_dense_stack(policy, bn, units),
    ]


def build_optimizer(spec: RunSpec, *, steps_per_epoch: int = 1) -> keras.optimizers.Optimizer:
    """sgd, momentum (SGD with momentum 0.9) or adam at the spec's scaled learning rate.

    steps_per_epoch turns warmup_epochs into steps (see bench_lib/engine/schedule.py).
    """
    lr = schedule.learning_rate(spec, steps_per_epoch)
    if spec.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    momentum = 0.9 if spec.optimizer == "momentum" else 0.0
    return keras.optimizers.SGD(learning_rate=lr, momentum=momentum)


def count_parameters(model: keras.Model) -> int:
    return int(sum(v.numpy().size for v in model.trainable_variables))


def release_variables(model: keras.Model, optimizer: keras.optimizers.Optimizer) -> None:
    """Frees the memory of the model's and optimizer's variables; neither may be used afterwards.

    Assigning each variable an empty tensor frees its buffer at once, whoever still holds the
    variable — on this TensorFlow/Keras a traced optimizer step is kept alive by TensorFlow's
    gradient registry (see strategy.forget_custom_gradients), and with it every variable it
    updated: about 5 MiB per configuration of the conv net with Adam.
    """
    for variable in [*model.variables, *optimizer.variables]:
        variable = getattr(variable, "value", variable)  # a Keras variable wraps a tf.Variable
        for component in getattr(variable, "values", (variable,)):  # one per replica when mirrored
            tf.raw_ops.AssignVariableOp(
                resource=component.handle, value=tf.zeros([0], component.dtype), validate_shape=False
            )
