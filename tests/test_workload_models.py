"""The standard model families: each builds at its shape, its analytic FLOPs agree with TensorFlow's
cost analysis of the traced step within 10%, and the declarations say what the builders do."""

import keras
import pytest
import tensorflow as tf

from bench_lib.config import models
from bench_lib.config.spec import RunSpec
from bench_lib.engine.model import build_model
from bench_lib.engine.models import transformer
from bench_lib.probes import cost_analysis
from bench_lib.probes.flops import training_flops_per_example

# ResNet-50 and MobileNetV2 are checked at 32x32, their smallest input: the rules are the same at
# 224x224 and tracing is cheaper. Batch 1 or 2: the count is per example either way.
CASES = [
    ("resnet20", (32, 32, 3), 2),
    ("resnet56", (32, 32, 3), 1),
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
