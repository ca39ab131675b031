"""The standard model families: their analytic FLOPs agree with TensorFlow's cost analysis of the
traced step within 10%, and with the figures their papers publish at their standard shapes."""

import keras
import pytest
import tensorflow as tf

from bench_lib.config import models
from bench_lib.config.spec import RunSpec
from bench_lib.engine.model import build_model
from bench_lib.probes import cost_analysis
from bench_lib.probes.flops import layer_flops, training_flops_per_example

# Forward multiply-adds of one example at the model's declared shape, as published: He et al. 2016
# (ResNet-50: 3.8e9; the CIFAR ResNets as commonly tabulated from its section 4.2), Sandler et al.
# 2018 (MobileNetV2 1.0 at 224x224: 300 million). None: no published figure to compare with.
PUBLISHED_MULTIPLY_ADDS = {
    "resnet20": 41e6,
    "resnet56": 125e6,
    "resnet50": 3.8e9,
    "mobilenet_v2": 300e6,
    "transformer_small": None,
}
# resnet56 is resnet20's builder at another depth, with no layer type resnet20 lacks: it is
# checked against its published figure only (tracing it costs as much as tracing resnet50).
TRACED = ("resnet20", "resnet50", "mobilenet_v2", "transformer_small")


def _built(name):
    classes = 1000 if models.declared(name).input_shape == (224, 224, 3) else 10
    return build_model(RunSpec(model=name, dataset="synthetic"), models.declared(name).input_shape, classes)


@pytest.mark.parametrize("name", PUBLISHED_MULTIPLY_ADDS)
def test_the_analytic_count_matches_tensorflows_cost_analysis_and_the_published_figure(name):
    built = _built(name)
    if PUBLISHED_MULTIPLY_ADDS[name] is not None:
        forward_multiply_adds = sum(layer.forward for layer in layer_flops(built)) / 2
        assert forward_multiply_adds == pytest.approx(PUBLISHED_MULTIPLY_ADDS[name], rel=0.05)
    if name in TRACED:
        # Batch 1 or 2: the count is per example, and tracing costs the same at any batch size.
        dtype = tf.int32 if models.declared(name).input_kind == "tokens" else tf.float32
        batch = 2 if dtype == tf.int32 else 1
        tensorflow_count = cost_analysis.step_flops(built, batch, input_dtype=dtype)
        assert training_flops_per_example(built) * batch == pytest.approx(tensorflow_count, rel=0.10)
    keras.backend.clear_session()


def test_a_transformer_at_a_size_no_preset_has_is_counted_as_tensorflow_counts_it():
    spec = RunSpec(model="transformer", dataset="synthetic", transformer_layers=3, transformer_width=96,
                   transformer_heads=4, sequence_length=48)  # fmt: skip
    built = build_model(spec, models.example_shape(spec), 10)
    attention = [layer for layer in built.layers if layer.name.startswith("self_attention")]
    assert len(attention) == 3 and all(layer.attention.num_heads == 4 for layer in attention)
    assert built.input_shape == (None, 48) and built.layers[1].output_dim == 96
    tensorflow_count = cost_analysis.step_flops(built, 2, input_dtype=tf.int32)
    assert training_flops_per_example(built) * 2 == pytest.approx(tensorflow_count, rel=0.10)
    keras.backend.clear_session()


def test_synchronized_bn_and_mixed_precision_reach_keras_applications_layers():
    built = build_model(
        RunSpec(model="mobilenet_v2", dataset="cifar10", bn="sync", precision="mixed_bfloat16"), (32, 32, 3), 10
    )
    norms = [layer for layer in built.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and all(layer.synchronized for layer in norms)
    assert {layer.dtype_policy.name for layer in built.layers[1:-1]} == {"mixed_bfloat16"}
    assert built.layers[-1].dtype_policy.name == "float32"
    keras.backend.clear_session()
