"""Builds mlp and mlp_bn: Flatten, hidden Dense layers (with BatchNormalization for mlp_bn), softmax."""

from __future__ import annotations

import keras

from bench_lib.config.spec import RunSpec
from bench_lib.engine.models import layer_groups


def build(spec: RunSpec, input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    """Flatten, BN (with spec.batch_norm), the hidden Dense layers (each followed by BN), dropout, softmax.

    mlp_bn is mlp with bn='local': the two names build the same network.
    """
    layers = [
        keras.layers.Flatten(dtype=layer_groups.policy(spec)),
        *layer_groups.batch_norm(spec),
        *layer_groups.dense_stack(spec),
        *layer_groups.classifier_head(spec, num_classes),
    ]
    return keras.Sequential([keras.Input(shape=input_shape), *layers], name=spec.model)
