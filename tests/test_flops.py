"""FLOPs are counted per layer by the stated convention: 2 per multiply-add, backward twice forward
except for the input gradient of the first trainable layer, which is never computed."""

import keras

from bench_lib.config.spec import RunSpec
from bench_lib.engine.model import build_model
from bench_lib.probes.flops import layer_flops, training_flops_per_example


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
