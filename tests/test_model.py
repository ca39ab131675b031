import keras
import numpy as np
import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.engine import runner
from bench_lib.engine.model import build_model

ONE_STEP = {"optimizer": "sgd", "learning_rate": 0.5, "dropout": 0.0, "steps": 1, "warmup_steps": 0}


@pytest.mark.parametrize(("precision", "compute"), [("mixed_bfloat16", "bfloat16"), ("mixed_float16", "float16")])
def test_precision_is_set_per_model_and_never_leaks(precision, compute):
    mixed = build_model(RunSpec(model="cnn", bn="local", precision=precision), (8, 8, 1), 10)
    plain = build_model(RunSpec(model="cnn", bn="local"), (8, 8, 1), 10)
    assert keras.config.dtype_policy().name == "float32"
    hidden, head = mixed.layers[:-1], mixed.layers[-1]
    assert {layer.compute_dtype for layer in hidden} == {compute}
    assert {v.dtype for v in mixed.weights} == {"float32"}, "weights stay float32"
    assert head.compute_dtype == "float32", "softmax and the loss in float32"
    assert mixed(np.zeros((2, 8, 8, 1), np.float32)).dtype == "float32"
    assert {layer.compute_dtype for layer in plain.layers} == {"float32"}


def test_mlp_with_local_bn_is_the_mlp_bn_model():
    names = [type(layer).__name__ for layer in build_model(RunSpec(model="mlp", bn="local"), (8, 8), 10).layers]
    assert names == [type(layer).__name__ for layer in build_model(RunSpec(model="mlp_bn"), (8, 8), 10).layers]
    assert "BatchNormalization" in names
    assert "BatchNormalization" not in [type(x).__name__ for x in build_model(RunSpec(), (8, 8), 10).layers]


def after_one_step(**fields):
    prepared = runner.prepare(RunSpec(**{**ONE_STEP, "model": "mlp_bn", "global_batch_size": 32, **fields}))
    prepared.loop.before_step()
    prepared.loop.step()
    bn = [layer for layer in prepared.model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    return {
        "moving_mean": np.concatenate([layer.moving_mean.numpy() for layer in bn]),
        "moving_variance": np.concatenate([layer.moving_variance.numpy() for layer in bn]),
        "weights": np.concatenate([v.numpy().ravel() for v in prepared.model.trainable_variables]),
    }


def max_difference(a, b):
    return float(np.abs(a - b).max())


def test_sync_bn_on_two_replicas_matches_one_device_and_local_bn_does_not():
    one = after_one_step()
    sync = after_one_step(strategy="mirrored", replicas=2, bn="sync")
    local = after_one_step(strategy="mirrored", replicas=2, bn="local")
    for key in ("moving_mean", "moving_variance", "weights"):
        assert max_difference(one[key], sync[key]) < 1e-5, key
    # Local BN normalizes each replica's 16 examples with their own statistics: the averaged
    # per-replica variance misses the spread between the two halves, and the gradients differ.
    assert max_difference(one["moving_variance"], local["moving_variance"]) > 1e-3
    assert max_difference(one["weights"], local["weights"]) > 1e-3
