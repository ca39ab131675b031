"""Builds cnn: a small convolutional network (two 3x3 convolutions with max-pooling) and the mlp's head."""

from __future__ import annotations

import keras

from bench_lib.config.spec import RunSpec
from bench_lib.engine.models import layer_groups


def build(spec: RunSpec, input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    """Conv 32, pool, conv 64, pool, flatten, the hidden Dense layers, dropout, softmax.

    With spec.batch_norm other than none, BN follows each convolution and each hidden Dense layer.
    """
    policy = layer_groups.policy(spec)
    layers = [
        keras.layers.Conv2D(32, 3, padding="same", activation="relu", dtype=policy),
        *layer_groups.batch_norm(spec),
        keras.layers.MaxPooling2D(2, dtype=policy),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu", dtype=policy),
        *layer_groups.batch_norm(spec),
        keras.layers.MaxPooling2D(2, dtype=policy),
        keras.layers.Flatten(dtype=policy),
        *layer_groups.dense_stack(spec),
        *layer_groups.classifier_head(spec, num_classes),
    ]
    return keras.Sequential([keras.Input(shape=input_shape), *layers], name=spec.model)
