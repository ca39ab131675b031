"""Builds resnet50 and mobilenet_v2 from keras.applications, untrained (weights=None: nothing is downloaded).

keras.applications builds its layers under Keras's global dtype policy and with local
BatchNormalization. Keras's global policy is never touched here; instead, where the spec asks for
a mixed precision or for synchronized BN, the built network is cloned layer by layer with that
dtype policy and BN mode (the softmax output layer stays float32, so the loss does).
"""

from __future__ import annotations

import keras

from bench_lib.config.spec import RunSpec
from bench_lib.engine.models import layer_groups


def build_resnet50(spec: RunSpec, input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    """ResNet-50 (v1, He et al. 2015) for images of input_shape (224x224x3 for ImageNet; at least 32x32)."""
    model = keras.applications.ResNet50(weights=None, input_shape=input_shape, classes=num_classes)
    return _as_spec_asks(spec, model)


def build_mobilenet_v2(spec: RunSpec, input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    """MobileNetV2 (width 1.0, Sandler et al. 2018): depthwise-separable inverted residual blocks."""
    model = keras.applications.MobileNetV2(weights=None, input_shape=input_shape, classes=num_classes)
    return _as_spec_asks(spec, model)


def _as_spec_asks(spec: RunSpec, model: keras.Model) -> keras.Model:
    if spec.precision == "float32" and spec.batch_norm == "local":
        return model
    policy = layer_groups.policy(spec)
    output_layer = model.layers[-1]

    def clone(layer: keras.layers.Layer) -> keras.layers.Layer:
        config = layer.get_config()
        if layer is not output_layer:
            config["dtype"] = policy
        if isinstance(layer, keras.layers.BatchNormalization):
            config["synchronized"] = spec.batch_norm == "sync"
        return type(layer).from_config(config)

    return keras.models.clone_model(model, clone_function=clone)
