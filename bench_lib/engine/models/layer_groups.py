"""Provides the layer groups the model builders share: BatchNormalization, hidden Dense layers, the head.

Every layer takes the spec's precision as its dtype policy, except the output layer, which
computes in float32 so that softmax and the loss do.
"""

from __future__ import annotations

import keras

from bench_lib.config.spec import RunSpec


def policy(spec: RunSpec) -> keras.DTypePolicy:
    """The spec's mixed-precision policy, for this model's layers only (Keras's global one is never set)."""
    return keras.DTypePolicy(spec.precision)


def batch_norm(spec: RunSpec) -> list[keras.layers.Layer]:
    """One BatchNormalization layer as spec.batch_norm asks (local or sync), or none."""
    if spec.batch_norm == "none":
        return []
    return [keras.layers.BatchNormalization(synchronized=spec.batch_norm == "sync", dtype=policy(spec))]


def dense_stack(spec: RunSpec) -> list[keras.layers.Layer]:
    """A ReLU Dense layer of each width in spec.hidden_units, each followed by batch_norm(spec)."""
    layers = []
    for width in spec.hidden_units:
        layers += [keras.layers.Dense(width, activation="relu", dtype=policy(spec)), *batch_norm(spec)]
    return layers


def classifier_head(spec: RunSpec, num_classes: int) -> list[keras.layers.Layer]:
    """Dropout at spec.dropout, then a float32 softmax Dense layer of num_classes."""
    return [
        keras.layers.Dropout(spec.dropout, dtype=policy(spec)),
        keras.layers.Dense(num_classes, activation="softmax", dtype="float32"),
    ]
