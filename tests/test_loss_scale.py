import numpy as np
import pytest
import tensorflow as tf

from bench_lib.config.spec import RunSpec
from bench_lib.engine import runner
from bench_lib.engine.loss_scale import DynamicLossScale, all_finite


def test_scale_doubles_after_growth_interval_finite_steps_and_halves_on_a_skip():
    scale = DynamicLossScale(initial_scale=8.0, growth_interval=2)
    scale.update(tf.constant(True))
    assert float(scale.scale) == 8.0
    scale.update(tf.constant(True))
    assert float(scale.scale) == 16.0
    scale.update(tf.constant(True))
    scale.update(tf.constant(False))
    assert (float(scale.scale), int(scale.good_steps), int(scale.skipped_steps)) == (8.0, 0, 1)
    for _ in range(5):
        scale.update(tf.constant(False))
    assert float(scale.scale) == 1.0, "never below 1"


def test_all_finite():
    assert bool(all_finite([tf.ones(3), tf.zeros((2, 2))]))
    assert not bool(all_finite([tf.ones(3), tf.constant([1.0, np.inf])]))
    assert not bool(all_finite([tf.constant([np.nan])]))


def test_bad_scale_settings_are_refused():
    with pytest.raises(ValueError, match=r"initial_scale=0\.5"):
        DynamicLossScale(initial_scale=0.5)


def test_a_float16_step_with_overflowing_gradients_is_skipped_and_the_scale_halved():
    # Two replicas with accumulation: the cross-replica path, all-reduced finiteness, summed micro-batches.
    fields = {"strategy": "mirrored", "replicas": 2, "accumulation_steps": 2}
    spec = RunSpec(precision="mixed_float16", optimizer="sgd", dropout=0.0, global_batch_size=32, steps=3, **fields)
    prepared = runner.prepare(spec)
    loop, loss_scale = prepared.loop, prepared.trainer.loss_scale
    start = [v.numpy() for v in prepared.model.trainable_variables]
    # 2^40 times the loss overflows float16 (max 65504) in the backward pass of the hidden layers.
    loss_scale.scale.assign(2.0**40)
    loop.before_step()
    loop.step()
    skipped = [v.numpy() for v in prepared.model.trainable_variables]
    assert all(np.array_equal(a, b) for a, b in zip(start, skipped, strict=True)), "a skipped step changes nothing"
    assert (float(loss_scale.scale.numpy()), int(loss_scale.skipped_steps.numpy())) == (2.0**39, 1)
    loss_scale.scale.assign(2.0**10)
    loop.before_step()
    loop.step()
    stepped = [v.numpy() for v in prepared.model.trainable_variables]
    assert all(np.isfinite(v).all() for v in stepped)
    assert max(float(np.abs(a - b).max()) for a, b in zip(start, stepped, strict=True)) > 1e-4
    assert (
        float(loss_scale.scale.numpy()),
        int(loss_scale.good_steps.numpy()),
        int(loss_scale.skipped_steps.numpy()),
    ) == (2.0**10, 1, 1)


def test_loss_scaling_equals_the_unscaled_float32_update_when_nothing_overflows():
    """In float16 the scaled-then-unscaled gradient is the gradient: one SGD step lands near float32's."""
    fields = {"optimizer": "sgd", "learning_rate": 0.5, "dropout": 0.0, "global_batch_size": 32, "steps": 1}
    results, start = {}, None
    for precision in ("float32", "mixed_float16"):
        prepared = runner.prepare(RunSpec(precision=precision, **fields))
        if start is None:
            start = np.concatenate([v.numpy().ravel() for v in prepared.model.trainable_variables])
        prepared.loop.before_step()
        prepared.loop.step()
        results[precision] = np.concatenate([v.numpy().ravel() for v in prepared.model.trainable_variables])
    change = results["float32"] - start
    error = results["mixed_float16"] - results["float32"]
    assert float(np.abs(change).max()) > 1e-2
    assert float(np.linalg.norm(error)) < 0.02 * float(np.linalg.norm(change))
