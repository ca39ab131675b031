import numpy as np
import pytest
import tensorflow as tf

from bench_lib import runner
from bench_lib.spec import RunSpec

# One SGD step without dropout or BN: the update is the gradient times the learning rate, so
# equal weights after one step mean equal gradients.
ONE_STEP = {"optimizer": "sgd", "learning_rate": 0.5, "dropout": 0.0, "steps": 1, "warmup_steps": 0}


def weights_after_one_step(**fields):
    prepared = runner.prepare(RunSpec(**{**ONE_STEP, **fields}))
    prepared.loop.before_step()
    prepared.loop.step()
    return [v.numpy() for v in prepared.model.trainable_variables]


def initial_weights(**fields):
    return [v.numpy() for v in runner.prepare(RunSpec(**{**ONE_STEP, **fields})).model.trainable_variables]


def max_difference(a, b):
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize(("model", "accumulation_steps"), [("mlp", 2), ("mlp", 8), ("cnn", 4)])
def test_accumulated_gradient_equals_the_whole_batch_gradient(model, accumulation_steps):
    whole = weights_after_one_step(model=model, global_batch_size=64)
    accumulated = weights_after_one_step(model=model, global_batch_size=64, accumulation_steps=accumulation_steps)
    start = initial_weights(model=model, global_batch_size=64)
    assert max_difference(start, whole) > 1e-3, "the step must change the weights for the comparison to mean anything"
    assert max_difference(whole, accumulated) < 1e-5


def test_mirrored_on_two_devices_equals_one_device():
    one = weights_after_one_step(global_batch_size=64)
    mirrored = weights_after_one_step(strategy="mirrored", replicas=2, global_batch_size=64)
    both = weights_after_one_step(strategy="mirrored", replicas=2, global_batch_size=64, accumulation_steps=4)
    assert max_difference(one, mirrored) < 1e-5
    assert max_difference(one, both) < 1e-5


def test_batchnorm_and_dropout_run_under_mirrored_accumulation():
    result = runner.run(
        RunSpec(strategy="mirrored", replicas=2, model="mlp_bn", global_batch_size=64, accumulation_steps=2, steps=3)
    )
    assert result.status == "ok"
    assert result.optimizer_steps == 3


@pytest.fixture
def op_determinism():
    tf.config.experimental.enable_op_determinism()
    yield


def test_the_same_seed_twice_gives_identical_metrics(op_determinism):
    spec = RunSpec(model="mlp_bn", global_batch_size=32, steps=12, seed=7)
    first, second = runner.run(spec), runner.run(spec)
    for key in ("test_accuracy", "test_loss", "train_accuracy", "train_loss"):
        assert getattr(first, key) == getattr(second, key), key
    assert [h["train_loss"] for h in first.history] == [h["train_loss"] for h in second.history]
    other = runner.run(spec.replace(seed=8))
    assert other.train_loss != first.train_loss


def test_loop_times_only_steps_after_warmup_and_evaluates_every_epoch():
    epochs = []
    result = runner.run(RunSpec(global_batch_size=256, epochs=3, warmup_steps=2), on_epoch=epochs.append)
    steps_per_epoch = 1438 // 256
    assert result.optimizer_steps == 3 * steps_per_epoch
    assert result.timed_steps == 3 * steps_per_epoch - 2
    assert [e.epoch for e in epochs] == [1, 2, 3]
    assert [h["steps"] for h in result.history] == [5, 10, 15]
    assert result.history[-1]["test_accuracy"] == result.test_accuracy


def test_a_huge_learning_rate_is_recorded_as_diverged():
    result = runner.run(RunSpec(optimizer="sgd", learning_rate=1e12, steps=20))
    assert result.status == "diverged"
    assert result.diverged_at_step is not None
    assert result.optimizer_steps == result.diverged_at_step < 20, "the run stops at the first non-finite loss"
