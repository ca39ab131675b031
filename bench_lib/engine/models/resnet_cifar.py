"""Builds resnet20 and resnet56: the CIFAR-style residual networks of He et al. (2016), section 4.2.

A 3x3 convolution of 16 filters, then three stages of n residual blocks each (16, 32 and 64
filters; the second and third stages halve height and width in their first block), global average
pooling and a softmax Dense layer: 6n + 2 weighted layers, so n = 3 for resnet20 and n = 9 for
resnet56. A block is conv-BN-ReLU-conv-BN plus the shortcut, then ReLU (ResNet v1); where a block
changes the shape, the shortcut is a strided 1x1 convolution with BN (the paper's option B).
With spec.batch_norm='none' the BN layers are left out; 'sync' synchronizes them across replicas.
No weight decay is added: the training step minimizes the cross-entropy alone, as for every model.
"""

from __future__ import annotations

import keras

from bench_lib.config.spec import RunSpec
from bench_lib.engine.models import layer_groups

STAGE_FILTERS = (16, 32, 64)


def build_resnet20(spec: RunSpec, input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    return build(spec, input_shape, num_classes, depth=20)


def build_resnet56(spec: RunSpec, input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    return build(spec, input_shape, num_classes, depth=56)


def build(spec: RunSpec, input_shape: tuple[int, ...], num_classes: int, *, depth: int) -> keras.Model:
    """The CIFAR ResNet of `depth` weighted layers (depth = 6n + 2) for images of input_shape.

    Raises:
      ValueError: depth is not 6n + 2 for a whole n >= 1.
    """
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"depth={depth!r} is not allowed: a CIFAR ResNet has 6n + 2 layers (20, 32, 44, 56, ...)")
    inputs = keras.Input(shape=input_shape)
    x = _conv_bn(spec, inputs, STAGE_FILTERS[0], strides=1, relu=True)
    for stage, filters in enumerate(STAGE_FILTERS):
        for block in range((depth - 2) // 6):
            x = _residual_block(spec, x, filters, strides=2 if stage and not block else 1)
    x = keras.layers.GlobalAveragePooling2D(dtype=layer_groups.policy(spec))(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=spec.model)


def _conv_bn(spec: RunSpec, x: keras.KerasTensor, filters: int, *, strides: int, relu: bool, kernel: int = 3):
    policy = layer_groups.policy(spec)
    x = keras.layers.Conv2D(
        filters, kernel, strides=strides, padding="same", use_bias=False, kernel_initializer="he_normal", dtype=policy
    )(x)
    for layer in layer_groups.batch_norm(spec):
        x = layer(x)
    return keras.layers.ReLU(dtype=policy)(x) if relu else x


def _residual_block(spec: RunSpec, x: keras.KerasTensor, filters: int, *, strides: int) -> keras.KerasTensor:
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = _conv_bn(spec, x, filters, strides=strides, relu=False, kernel=1)
    y = _conv_bn(spec, x, filters, strides=strides, relu=True)
    y = _conv_bn(spec, y, filters, strides=1, relu=False)
    policy = layer_groups.policy(spec)
    return keras.layers.ReLU(dtype=policy)(keras.layers.Add(dtype=policy)([shortcut, y]))
