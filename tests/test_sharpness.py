import keras
import numpy as np
import pytest

from bench_lib.probes import sharpness


def test_random_corners_lie_on_the_corners_of_keskars_box():
    weights = [np.array([0.0, 2.0, -3.0], dtype=np.float32)]
    moved = sharpness.random_corner(weights, 0.01, np.random.default_rng(0))[0]
    assert moved.dtype == np.float32
    assert np.abs(moved - weights[0]) == pytest.approx(0.01 * (np.abs(weights[0]) + 1))


def test_the_metric_is_the_relative_rise_in_percent():
    assert sharpness.relative_increase(0.5, [0.6, 0.8, 0.55]) == pytest.approx(100 * 0.3 / 1.5)


def test_the_probe_measures_a_known_bowl_and_restores_the_weights():
    # At w = 0 the loss sum(w**2) rises by n * eps**2 at every corner of the box, whatever the signs.
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    loss = lambda: float(sum(np.sum(v.numpy() ** 2) for v in model.trainable_variables))  # noqa: E731
    value = sharpness.probe(model, loss, samples=3, epsilon=0.1, seed=0)
    assert value == pytest.approx(100 * 4 * 0.1**2, rel=1e-5)
    assert np.all(model.trainable_variables[0].numpy() == 0)
