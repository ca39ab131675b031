"""Builds the Keras models and optimizers a RunSpec names.

Call these inside strategy.scope() so that variables are created where the strategy wants.
"""

from __future__ import annotations

import keras

from bench_lib import schedule
from bench_lib.spec import RunSpec


def build_model(spec: RunSpec, image_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    """The spec's model, built for images of image_shape, with softmax outputs.

    mlp is exactly the seed article's Example 1, mlp_bn its Example 3, cnn a small conv net.
    """
    keras.utils.set_random_seed(spec.seed)
    builders = {"mlp": _mlp, "mlp_bn": _mlp_bn, "cnn": _cnn}
    layers = builders[spec.model](spec.dropout, num_classes)
    model = keras.Sequential([keras.Input(shape=image_shape), *layers], name=spec.model)
    return model


def _mlp(dropout: float, num_classes: int) -> list[keras.layers.Layer]:
    return [
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(dropout),
        keras.layers.Dense(num_classes, activation="softmax"),
    ]


def _mlp_bn(dropout: float, num_classes: int) -> list[keras.layers.Layer]:
    return [
        keras.layers.Flatten(),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Dropout(dropout),
        keras.layers.Dense(num_classes, activation="softmax"),
    ]


def _cnn(dropout: float, num_classes: int) -> list[keras.layers.Layer]:
    return [
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(dropout),
        keras.layers.Dense(num_classes, activation="softmax"),
    ]


def build_optimizer(spec: RunSpec, *, steps_per_epoch: int = 1) -> keras.optimizers.Optimizer:
    """sgd, momentum (SGD with momentum 0.9) or adam at the spec's scaled learning rate.

    steps_per_epoch turns warmup_epochs into steps (see bench_lib/schedule.py).
    """
    lr = schedule.learning_rate(spec, steps_per_epoch)
    if spec.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    momentum = 0.9 if spec.optimizer == "momentum" else 0.0
    return keras.optimizers.SGD(learning_rate=lr, momentum=momentum)


def count_parameters(model: keras.Model) -> int:
    return int(sum(v.numpy().size for v in model.trainable_variables))
