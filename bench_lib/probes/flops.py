"""Counts a model's training FLOPs analytically, layer by layer, from one table of per-layer rules.

Convention: one multiply-add is 2 FLOPs, and only the matrix products are counted — the work
that MFU compares with a processor's peak. A layer's rule gives the multiply-adds of one
example's forward pass; the forward pass is 2 x multiply-adds, the backward pass 2 x
multiply-adds for the weight gradient plus 2 x multiply-adds for the gradient with respect to the
layer's input, except where nothing trainable lies before the layer (that input gradient is never
computed). Bias adds, activations, pooling, dropout, normalization, the loss and the optimizer
update are elementwise, O(activations or parameters) rather than O(parameters x batch): their
rules say zero, explicitly. Gradient accumulation and replicas do not change the count per
global batch. tests/test_flops.py checks these counts against TensorFlow's own cost analysis of
the traced training step (bench_lib/probes/cost_analysis.py).

Every layer must have a rule: a layer class found nowhere in LAYER_RULES (its own class or a
base class) raises UncountedLayerError when the model is built, so a new layer can never count
zero by omission. Sequential and functional models are counted through their layers. A model
with a layer class of its own adds the rule beside it: `LAYER_RULES[MyLayer] = my_rule`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import keras


class UncountedLayerError(ValueError):
    """A model has a layer whose FLOPs no rule in LAYER_RULES counts."""


@dataclass(frozen=True)
class LayerFlops:
    """FLOPs of one layer for one example."""

    name: str
    forward: int
    backward: int

    @property
    def total(self) -> int:
        return self.forward + self.backward


# A rule: the multiply-adds of one example's forward pass through a built layer.
Rule = Callable[[keras.layers.Layer], int]


def _dense(layer: keras.layers.Dense) -> int:
    fan_in, units = layer.kernel.shape
    positions = math.prod(layer.output.shape[1:-1])  # 1 for (batch, units); the sequence length for tokens
    return positions * int(fan_in) * int(units)


def _convolution(layer: keras.layers.Layer) -> int:
    """Output positions x output channels x the kernel's window (which holds in_channels / groups)."""
    *window, channels_in, _channels_out = layer.kernel.shape
    outputs = math.prod(layer.output.shape[1:])  # positions x channels_out, in either data format
    return outputs * math.prod(window) * int(channels_in)


def _depthwise_convolution(layer: keras.layers.Layer) -> int:
    """Output positions x output channels x the kernel's window: each output sees one input channel."""
    *window, _channels_in, _multiplier = layer.kernel.shape
    return math.prod(layer.output.shape[1:]) * math.prod(window)


def no_matrix_products(layer: keras.layers.Layer) -> int:
    """The rule of a layer that reshapes, selects or works elementwise: no multiply-adds counted."""
    return 0


LAYER_RULES: dict[type, Rule] = {
    keras.layers.Dense: _dense,
    keras.layers.Conv1D: _convolution,
    keras.layers.Conv2D: _convolution,
    keras.layers.Conv3D: _convolution,
    keras.layers.DepthwiseConv2D: _depthwise_convolution,
    **dict.fromkeys(
        (
            keras.layers.InputLayer,
            keras.layers.Flatten,
            keras.layers.Reshape,
            keras.layers.Permute,
            keras.layers.Dropout,
            keras.layers.Activation,
            keras.layers.ReLU,
            keras.layers.Softmax,
            keras.layers.ZeroPadding2D,
            keras.layers.MaxPooling2D,
            keras.layers.AveragePooling2D,
            keras.layers.GlobalAveragePooling2D,
            keras.layers.GlobalMaxPooling2D,
            keras.layers.GlobalAveragePooling1D,
            keras.layers.Embedding,
            keras.layers.Add,
            keras.layers.Concatenate,
            keras.layers.BatchNormalization,
            keras.layers.LayerNormalization,
        ),
        no_matrix_products,
    ),
}


def layer_flops(model: keras.Model) -> list[LayerFlops]:
    """Per-example FLOPs of every layer of a built model that does matrix products, in order.

    Raises:
      UncountedLayerError: naming the model, the layer and its class, for a layer without a rule.
    """
    counted = []
    trainable_before = False
    for layer in _leaf_layers(model):
        macs = _rule(layer, model)(layer)
        if macs:
            input_gradient = 2 * macs if trainable_before else 0
            counted.append(LayerFlops(layer.name, forward=2 * macs, backward=2 * macs + input_gradient))
        trainable_before = trainable_before or bool(layer.trainable_weights)
    return counted


def training_flops_per_example(model: keras.Model) -> int:
    """Forward plus backward FLOPs of one example, by the module's convention."""
    return sum(layer.total for layer in layer_flops(model))


def _is_graph_of_layers(layer: keras.layers.Layer) -> bool:
    """A Sequential or functional model computes exactly what its layers do."""
    return isinstance(layer, keras.Sequential) or (isinstance(layer, keras.Model) and isinstance(layer, keras.Function))


def _leaf_layers(layer: keras.layers.Layer) -> Iterator[keras.layers.Layer]:
    if not _is_graph_of_layers(layer):
        yield layer
        return
    for inner in layer.layers:
        yield from _leaf_layers(inner)


def _rule(layer: keras.layers.Layer, model: keras.Model) -> Rule:
    for cls in type(layer).__mro__:
        if cls in LAYER_RULES:
            return LAYER_RULES[cls]
    kind = type(layer)
    raise UncountedLayerError(
        f"model {model.name!r}: layer {layer.name!r} is a {kind.__module__}.{kind.__qualname__}, which no FLOPs "
        "rule counts; add one to bench_lib.probes.flops.LAYER_RULES (no_matrix_products if it does none)"
    )
