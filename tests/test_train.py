import functools

import numpy as np
import pytest
import tensorflow as tf

from bench_lib.config.spec import RunSpec
from bench_lib.engine import runner

# One SGD step without dropout or BN: the update is the gradient times the learning rate, so
# equal weights after one step mean equal gradients.
ONE_STEP = {"optimizer": "sgd", "learning_rate": 0.5, "dropout": 0.0, "steps": 1, "warmup_steps": 0}


def weights_after_one_step(**fields):
    return _one_step(tuple(sorted(fields.items())))[1]


def initial_weights(**fields):
    return _one_step(tuple(sorted(fields.items())))[0]


@functools.cache
def _one_step(fields: tuple) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The weights before and after one step of a spec: trained once per spec and process, then released.

    Several tests (here and in test_multi_worker.py) compare against the same one_device step.
    """
    prepared = runner.prepare(RunSpec(**{**ONE_STEP, **dict(fields)}))
    try:
        before = [v.numpy().copy() for v in prepared.model.trainable_variables]
        prepared.loop.before_step()
        prepared.loop.step()
        return before, [v.numpy().copy() for v in prepared.model.trainable_variables]
    finally:
        runner.release(prepared)


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
    steps_per_epoch = -(-1438 // 256)  # ceil: an epoch sees every example, as Keras' fit does
    assert result.optimizer_steps == 3 * steps_per_epoch
    assert result.timed_steps == 3 * steps_per_epoch - 2
    assert [e.epoch for e in epochs] == [1, 2, 3]
    assert [h["steps"] for h in result.history] == [6, 12, 18]
    assert result.history[-1]["test_accuracy"] == result.test_accuracy


def test_a_huge_learning_rate_is_recorded_as_diverged():
    result = runner.run(RunSpec(optimizer="sgd", learning_rate=1e12, steps=20))
    assert result.status == "diverged"
    assert result.diverged_at_step is not None
    assert result.optimizer_steps == result.diverged_at_step < 20, "the run stops at the first non-finite loss"


def weights_after(steps, **fields):
    """The weights after `steps` steps, and the released run (its loop and trainer counters stay readable)."""
    prepared = runner.prepare(RunSpec(**{**ONE_STEP, "steps": steps, **fields}))
    try:
        while prepared.loop.steps_remaining:
            prepared.loop.before_step()
            prepared.loop.step()
        return [v.numpy().copy() for v in prepared.model.trainable_variables], prepared
    finally:
        runner.release(prepared)


def test_several_steps_per_call_train_exactly_like_one_step_per_call():
    single, _ = weights_after(5, global_batch_size=64)
    # 5 steps in calls of 2, 2 and 1: the last call is shorter and must not retrace.
    several, prepared = weights_after(5, global_batch_size=64, steps_per_execution=2)
    assert max_difference(single, several) < 1e-6
    assert prepared.loop.steps_done == 5
    assert prepared.trainer.train_traces == 1


def test_the_step_is_traced_once_however_many_rounds_and_epochs():
    result_traces = []
    for spe in (1, 2):
        prepared = runner.prepare(RunSpec(global_batch_size=256, epochs=3, steps_per_execution=spe))
        prepared.loop.run()  # 3 epochs of 5 steps: calls of 2, 2, 1 each epoch when spe is 2
        result_traces.append(prepared.trainer.train_traces)
    assert result_traces == [1, 1]


def test_both_input_distributions_feed_the_same_batches():
    through_dataset, _ = weights_after(2, strategy="mirrored", replicas=2, global_batch_size=64)
    through_function, _ = weights_after(
        2, strategy="mirrored", replicas=2, global_batch_size=64, distribute_input="function"
    )
    cached, _ = weights_after(2, strategy="mirrored", replicas=2, global_batch_size=64, input_cache=True)
    assert max_difference(through_dataset, through_function) < 1e-6
    assert max_difference(through_dataset, cached) < 1e-6


def test_xla_computes_the_same_step():
    plain, _ = weights_after(1, strategy="mirrored", replicas=2, global_batch_size=64, accumulation_steps=2)
    compiled, _ = weights_after(
        1, strategy="mirrored", replicas=2, global_batch_size=64, accumulation_steps=2, jit_compile=True
    )
    assert max_difference(plain, compiled) < 1e-5


def test_timing_counts_calls_and_optimizer_steps_apart():
    # Batch 288 makes an epoch of the 1,438 digits ceil(1438 / 288) = 5 steps.
    prepared = runner.prepare(RunSpec(global_batch_size=288, steps=10, warmup_steps=2, steps_per_execution=4))
    assert prepared.loop.planned_calls() == (1, 3)
    prepared.loop.run()
    # Calls of up to 4 steps, cut at each epoch end (every 5 steps) and block end: 0-4 is warm-up
    # (it starts before step 2); 6 timed steps leave blocks of one call's 4 steps: 4-5 and 5-8 form
    # the first block, 8-10 the last.
    assert prepared.loop.steps_done == 10
    assert prepared.loop.timed_steps == 6
    assert prepared.loop.block_size_steps == 4
    assert len(prepared.loop.step_times_s) == 2
