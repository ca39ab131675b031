"""FLOPs are counted per layer by the stated convention: 2 per multiply-add, backward twice forward
except for the input gradient of the first trainable layer, which is never computed; the counts
agree with TensorFlow's own cost analysis, and a layer without a rule is an error."""

import keras
import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.engine.model import build_model
from bench_lib.probes import cost_analysis
from bench_lib.probes.flops import LAYER_RULES, UncountedLayerError, layer_flops, training_flops_per_example


def model(**fields):
    return build_model(RunSpec(**fields), (28, 28, 1), 10)


def test_mlp_784_512_512_10_by_hand():
    layers = layer_flops(model(hidden_units=(512, 512)))
    macs = [784 * 512, 512 * 512, 512 * 10]
    assert [layer.forward for layer in layers] == [2 * m for m in macs]
    # The first Dense sees the data: its weight gradient is computed, its input gradient is not.
    assert [layer.backward for layer in layers] == [2 * macs[0], 4 * macs[1], 4 * macs[2]]
    assert training_flops_per_example(model(hidden_units=(512, 512))) == 6 * sum(macs) - 2 * macs[0]


def test_a_trainable_layer_before_the_first_dense_needs_its_input_gradient():
    first = layer_flops(model(model="mlp_bn"))[0]
    assert first.backward == 2 * first.forward


def test_conv_counts_every_output_position():
    conv1, conv2, dense1, _dense2 = layer_flops(model(model="cnn"))
    assert conv1.forward == 2 * 28 * 28 * 32 * 3 * 3 * 1
    assert conv1.backward == conv1.forward  # no input gradient for the first layer
    assert conv2.forward == 2 * 14 * 14 * 64 * 3 * 3 * 32
    assert conv2.backward == 2 * conv2.forward
    assert dense1.forward == 2 * 7 * 7 * 64 * 128


def test_layers_without_matrix_products_are_not_counted():
    built = model(model="mlp_bn")
    counted = {layer.name for layer in layer_flops(built)}
    dense = {layer.name for layer in built.layers if isinstance(layer, keras.layers.Dense)}
    assert counted == dense


@pytest.mark.parametrize(
    ("fields", "input_shape"),
    [
        ({}, (8, 8)),
        ({"hidden_units": (512, 512)}, (28, 28, 1)),
        ({"model": "mlp_bn"}, (28, 28, 1)),
        ({"model": "cnn"}, (28, 28, 1)),
        ({"model": "cnn", "bn": "local"}, (8, 8, 1)),
    ],
)
def test_the_analytic_count_is_within_10_percent_of_tensorflows_cost_analysis(fields, input_shape):
    built = build_model(RunSpec(**fields), input_shape, 10)
    tensorflow_count = cost_analysis.step_flops(built, 64)
    assert training_flops_per_example(built) * 64 == pytest.approx(tensorflow_count, rel=0.10)


def test_a_dense_layer_over_a_sequence_counts_every_position():
    inputs = keras.Input((16, 8))
    built = keras.Model(inputs, keras.layers.Dense(4)(inputs))
    (dense,) = layer_flops(built)
    assert dense.forward == 2 * 16 * 8 * 4


def test_a_model_inside_a_model_is_counted_through_its_layers():
    inner = build_model(RunSpec(model="cnn"), (8, 8, 1), 10)
    outer = keras.Sequential([keras.Input((8, 8, 1)), inner])
    assert training_flops_per_example(outer) == training_flops_per_example(inner) > 0


class Unruled(keras.layers.Layer):
    def call(self, x):
        return x * 2.0


def test_a_layer_without_a_rule_is_an_error_naming_the_model_the_layer_and_its_class():
    built = keras.Sequential([keras.Input((4,)), Unruled(name="doubling"), keras.layers.Dense(2)], name="toy")
    with pytest.raises(UncountedLayerError, match=r"model 'toy': layer 'doubling' is a test_flops\.Unruled, "):
        layer_flops(built)


def test_a_rule_added_for_a_layer_class_counts_it_and_its_subclasses(monkeypatch):
    monkeypatch.setitem(LAYER_RULES, Unruled, lambda layer: 7)

    class Subclass(Unruled):
        pass

    built = keras.Sequential([keras.Input((4,)), Subclass(name="doubling")])
    assert [(layer.name, layer.forward) for layer in layer_flops(built)] == [("doubling", 14)]
