"""The computation fingerprint of real traced steps: equal for the same code, different where the computation is."""

import functools

import pytest

from bench_lib.analysis import computation
from bench_lib.config.spec import RunSpec
from bench_lib.engine import runner
from bench_lib.probes import step_graph

TINY = {"dataset": "synthetic", "global_batch_size": 32, "steps": 1, "warmup_steps": 0, "dropout": 0.0}


@functools.cache
def _fingerprint(fields: tuple) -> dict:
    prepared = runner.prepare(RunSpec(**{**TINY, **dict(fields)}))
    try:
        found = step_graph.fingerprint(prepared.trainer.traced_graph(), prepared.model, prepared.optimizer)
        assert prepared.trainer.train_traces == 1  # reading the graph traced nothing again
        return found
    finally:
        runner.release(prepared)


def fingerprint(**fields) -> dict:
    return _fingerprint(tuple(sorted(fields.items())))


def test_the_same_configuration_prepared_twice_has_the_same_fingerprint():
    first = fingerprint(optimizer="adam")
    again = _fingerprint.__wrapped__(tuple(sorted({"optimizer": "adam"}.items())))
    assert {k: v for k, v in first.items() if k != "fingerprint_s"} == {
        k: v for k, v in again.items() if k != "fingerprint_s"
    }
    assert computation.differences(first, again) == []
    assert first["optimizer"] == "Adam" and first["op_counts"]["MatMul"] > 0 and first["flops"] > 0
    assert first["parameters"] == 784 * 128 + 128 + 128 * 10 + 10  # synthetic: 28x28 images, 10 classes
    assert 0 < first["fingerprint_s"] < 30


def test_one_more_dense_layer_changes_matmuls_parameters_flops_and_the_updates_of_the_same_optimizer():
    found = computation.differences(fingerprint(optimizer="sgd"), fingerprint(optimizer="sgd", hidden_units=(128, 64)))
    assert found[0].startswith("model ops: MatMul 5→8")  # forward, weight and input gradients of one more layer
    assert any(line.startswith("parameters 101,770→") for line in found)
    assert any(line.startswith("FLOPs ") for line in found)
    # The same optimizer, with two more variables to update.
    assert any(line.startswith("optimizer ops: AssignSubVariableOp 4→6") for line in found), found


def test_adam_replaced_by_sgd_is_an_optimizer_change_and_no_model_change():
    found = computation.differences(fingerprint(optimizer="adam"), fingerprint(optimizer="sgd"))
    assert found[0].startswith("optimizer Adam→SGD (")
    assert not any(line.startswith(("model ops", "parameters")) for line in found)


def test_the_functions_the_step_calls_are_counted_a_while_loop_body_among_them():
    accumulated = fingerprint(optimizer="sgd", accumulation_steps=4)
    assert "While" in accumulated["op_counts"]
    assert accumulated["op_counts"]["MatMul"] == fingerprint(optimizer="sgd")["op_counts"]["MatMul"]
    assert accumulated["flops"] > 0


@pytest.mark.parametrize("replicas", [2])
def test_a_mirrored_step_counts_the_gradients_copied_between_replicas(replicas):
    found = fingerprint(optimizer="sgd", strategy="mirrored", replicas=replicas)
    gradient_bytes = found["parameters"] * 4
    assert found["device_copies"] > 0 and found["device_copy_bytes"] >= gradient_bytes
    assert found["host_device_copies"] == 0  # CPU replicas: no host-accelerator copies
