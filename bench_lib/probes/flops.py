"""Counts a model's training FLOPs analytically, layer by layer, from its built Keras layers.

Convention (stated in the README): one multiply-add is 2 FLOPs. Only the matrix products are
counted: Dense (in x out multiply-adds per example) and Conv2D (out_height x out_width x
out_channels x kernel_height x kernel_width x in_channels per example). The forward pass is
2 x multiply-adds; the backward pass is 2 x multiply-adds for the weight gradient plus 2 x
multiply-adds for the gradient with respect to the layer's input, except where nothing trainable
lies before the layer (the input gradient of the first such layer is never computed). Bias adds,
activations, pooling, dropout, batch normalization, the loss and the optimizer update are
elementwise, O(activations or parameters) rather than O(parameters x batch), and are not counted.
Gradient accumulation and replicas do not change the count per global batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras


@dataclass(frozen=True)
class LayerFlops:
    """FLOPs of one layer for one example."""

    name: str
    forward: int
    backward: int

    @property
    def total(self) -> int:
        return self.forward + self.backward


def layer_flops(model: keras.Model) -> list[LayerFlops]:
    """Per-example FLOPs of every Dense and Conv2D layer of a built model, in order."""
    counted = []
    trainable_before = False
    for layer in model.layers:
        macs = _multiply_adds(layer)
        if macs is not None:
            input_gradient = 2 * macs if trainable_before else 0
            counted.append(LayerFlops(layer.name, forward=2 * macs, backward=2 * macs + input_gradient))
        trainable_before = trainable_before or bool(layer.trainable_weights)
    return counted


def training_flops_per_example(model: keras.Model) -> int:
    """Forward plus backward FLOPs of one example, by the module's convention."""
    return sum(layer.total for layer in layer_flops(model))


def _multiply_adds(layer: keras.layers.Layer) -> int | None:
    if isinstance(layer, keras.layers.Dense):
        fan_in, units = layer.kernel.shape
        return int(fan_in) * int(units)
    if isinstance(layer, keras.layers.Conv2D):
        # The kernel holds in_channels / groups, so grouped convolutions are counted right too.
        kernel_h, kernel_w, channels_in, channels_out = layer.kernel.shape
        out_h, out_w = layer.output.shape[1:3]  # channels_last, as every model here is built
        return int(out_h) * int(out_w) * int(channels_out) * math.prod((kernel_h, kernel_w, channels_in))
    return None
