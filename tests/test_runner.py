"""Failure modes of one configuration: out of memory, divergence, leaks, determinism."""

import gc

import numpy as np
import tensorflow as tf

from bench_lib.config.spec import RunSpec
from bench_lib.engine import runner

CNN = {"model": "cnn", "dataset": "synthetic", "global_batch_size": 32, "steps": 2, "warmup_steps": 0}


def tf_in_use_mib():
    gc.collect()  # as runner.prepare does before every configuration
    return tf.config.experimental.get_memory_info("CPU:0")["current"] / 2**20


def test_a_configuration_over_its_memory_limit_is_oom_and_the_next_one_runs():
    before = tf_in_use_mib()
    over = runner.run(RunSpec(**CNN, memory_limit_mib=40))
    assert over.status == "oom"
    assert over.error.startswith("MemoryLimitExceeded: memory_limit_mib=40 exceeded: TensorFlow allocations peaked at")
    assert tf_in_use_mib() < before + 1, "what the oom configuration held is freed"
    under = runner.run(RunSpec(**CNN, memory_limit_mib=4096))
    assert under.status == "ok"
    assert 40 < under.tf_peak_mib < 4096, "the same configuration needs more than 40 MiB"


def test_tensorflows_own_out_of_memory_error_is_status_oom_with_the_reason():
    # The message as TensorFlow 2.21 words it (seen with TF_CPU_BFC_MEM_LIMIT_IN_MB=200).
    message = (
        "Graph execution error:\n\nDetected at node Conv2D defined at (most recent call last):\n"
        "{{function_node __wrapped__Conv2D_device_/job:localhost/replica:0/task:0/device:CPU:0}} "
        "OOM when allocating tensor with shape[1024,32,28,28] and type float on CPU:0 by allocator bfc_cpu_allocator"
    )
    result = runner.failed(RunSpec(), tf.errors.ResourceExhaustedError(None, None, message), steps=3)
    assert result.status == "oom"
    assert result.error == (
        "ResourceExhaustedError: OOM when allocating tensor with shape[1024,32,28,28] and type float on CPU:0 "
        "by allocator bfc_cpu_allocator"
    )
    assert result.optimizer_steps == 3
    assert (
        runner.failed(RunSpec(), tf.errors.InvalidArgumentError(None, None, "bad\nworse")).as_dict()["status"]
        == "failed"
    )


def test_a_huge_learning_rate_stops_at_the_first_non_finite_loss():
    result = runner.run(RunSpec(optimizer="sgd", learning_rate=1e20, steps=50, warmup_steps=0, global_batch_size=64))
    assert result.status == "diverged"
    assert result.diverged_at_step == result.optimizer_steps < 50
    assert result.error == f"loss was not finite at optimizer step {result.diverged_at_step}"
    assert result.test_accuracy is None and result.train_accuracy is None, "no accuracy of a diverged model"


def graphs_alive():
    return sum(type(o).__name__ == "FuncGraph" for o in gc.get_objects())


def test_configurations_in_one_process_leave_nothing_behind():
    # Without runner.release, each of these kept its traced graphs (~280 Python ops for the
    # mlp) and its weights and Adam slots in TensorFlow's memory (~1.5 MiB for this conv net) for good.
    in_use, graphs = [], []
    for seed in range(3):
        assert runner.run(RunSpec(**{**CNN, "dataset": "digits"}, seed=seed)).status == "ok"
        in_use.append(tf_in_use_mib())
        graphs.append(graphs_alive())
    assert in_use[-1] - in_use[0] < 0.5, in_use
    assert graphs[-1] == graphs[0], graphs


def step_losses_and_weights(spec):
    prepared = runner.prepare(spec)
    losses = []
    for _ in range(spec.steps):
        prepared.loop.before_step()
        losses.append(prepared.loop.step())
    weights = [v.numpy() for v in prepared.model.trainable_variables]
    runner.release(prepared)
    return losses, weights


def test_deterministic_runs_give_bit_identical_losses_and_weights():
    spec = RunSpec(
        strategy="mirrored", replicas=2, model="mlp_bn", global_batch_size=64, accumulation_steps=2,
        steps=4, warmup_steps=0, deterministic=True,
    )  # fmt: skip
    first_losses, first_weights = step_losses_and_weights(spec)
    second_losses, second_weights = step_losses_and_weights(spec)
    assert first_losses == second_losses
    assert all(np.array_equal(a, b) for a, b in zip(first_weights, second_weights, strict=True))
    assert tf.config.experimental.enable_op_determinism  # still importable on this TF
    runner.run(RunSpec(steps=1))  # a non-deterministic spec turns it off again
    from tensorflow.python.framework import config as tf_config

    assert not tf_config.is_op_determinism_enabled()
