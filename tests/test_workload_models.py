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

# At 32x32, the smallest input keras.applications allows: the rules are the same at 224x224 and the
# count is per example, so batch 1 or 2 suffices. resnet56 is resnet20's builder at another depth
# and has no layer type resnet20 lacks; tracing it would cost as much as the three others together.
CASES = [
    ("resnet20", (32, 32, 3), 2),
    ("resnet50", (32, 32, 3), 1),
    ("mobilenet_v2", (32, 32, 3), 1),
    ("transformer_small", (64,), 2),
]


@pytest.mark.parametrize(("name", "input_shape", "batch_size"), CASES, ids=[case[0] for case in CASES])
def test_the_analytic_count_is_within_10_percent_of_tensorflows_cost_analysis(name, input_shape, batch_size):
    built = build_model(RunSpec(model=name, dataset="synthetic"), input_shape, 10)
    dtype = tf.int32 if models.declared(name).input_kind == "tokens" else tf.float32
    tensorflow_count = cost_analysis.step_flops(built, batch_size, input_dtype=dtype)
    assert training_flops_per_example(built) * batch_size == pytest.approx(tensorflow_count, rel=0.10)
    keras.backend.clear_session()


# Forward multiply-adds of one example at the model's declared shape, as published: He et al. 2016
# (ResNet-50: 3.8e9; CIFAR ResNets as commonly tabulated from its section 4.2), Sandler et al. 2018
# (MobileNetV2 1.0 at 224: 300 million).
PUBLISHED_MULTIPLY_ADDS = {"resnet20": 41e6, "resnet56": 125e6, "resnet50": 3.8e9, "mobilenet_v2": 300e6}


@pytest.mark.parametrize("name", PUBLISHED_MULTIPLY_ADDS)
def test_forward_multiply_adds_at_the_standard_shape_match_the_published_figure(name):
    classes = 1000 if name in ("resnet50", "mobilenet_v2") else 10
    built = build_model(RunSpec(model=name, dataset="synthetic"), models.declared(name).input_shape, classes)
    forward_multiply_adds = sum(layer.forward for layer in layer_flops(built)) / 2
    assert forward_multiply_adds == pytest.approx(PUBLISHED_MULTIPLY_ADDS[name], rel=0.05)
    keras.backend.clear_session()


def test_synchronized_bn_and_mixed_precision_reach_keras_applications_layers():
    built = build_model(RunSpec(model="mobilenet_v2", bn="sync", precision="mixed_bfloat16"), (32, 32, 3), 10)
    norms = [layer for layer in built.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and all(layer.synchronized for layer in norms)
    assert {layer.dtype_policy.name for layer in built.layers[1:-1]} == {"mixed_bfloat16"}
    assert built.layers[-1].dtype_policy.name == "float32"
    keras.backend.clear_session()
