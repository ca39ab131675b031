"""A prepared configuration restarted with another seed: fresh weights and optimizer state, its step traced once."""

import numpy as np
import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.engine import preparation, runner

SPEC = RunSpec(model="mlp_bn", optimizer="adam", global_batch_size=64, steps=6, warmup_steps=1)


def _values(variables):
    return [np.array(v.numpy()) for v in variables]


def test_reseed_starts_from_the_weights_and_optimizer_state_a_fresh_run_of_that_seed_has():
    fresh = preparation.prepare(SPEC.replace(seed=5))
    try:
        fresh_weights = _values(fresh.model.variables)
        fresh_optimizer = _values(fresh.optimizer.variables)
    finally:
        preparation.release(fresh)
    prepared = preparation.prepare(SPEC)
    try:
        prepared.loop.run()  # moves the weights, BN's moving statistics and Adam's moments
        again = preparation.reseed(prepared, 5)
        assert again.spec.seed == 5 and again.loop.steps_done == 0
        for restarted, expected in zip(_values(again.model.variables), fresh_weights, strict=True):
            np.testing.assert_array_equal(restarted, expected)
        for restarted, expected in zip(_values(again.optimizer.variables), fresh_optimizer, strict=True):
            np.testing.assert_array_equal(restarted, expected)
        again.loop.run()
        assert again.loop.steps_done == 6
    finally:
        preparation.release(prepared)


def test_seeds_of_one_configuration_share_one_trace_and_differ_in_their_results():
    prepared = preparation.prepare(SPEC)
    try:
        first = runner.train_and_conclude(prepared)
        result = runner.complete_seeds(SPEC.replace(seeds=3), first, prepared=prepared)
        assert prepared.trainer.train_traces == 1
    finally:
        preparation.release(prepared)
    assert result.status == "ok" and result.seeds == [0, 1, 2]
    losses = result.seed_stats["train_loss"]["values"]
    assert len(set(losses)) == 3, "each seed trains its own model"
    assert result.seed_stats["test_accuracy"]["n"] == 3
    assert result.seed_stats["test_accuracy"]["ci95"] is not None


def test_a_configuration_with_a_noise_probe_is_prepared_afresh_for_each_seed():
    spec = SPEC.replace(model="mlp", noise_scale_batch_sizes=(8, 64), noise_scale_interval=2, seeds=2)
    prepared = preparation.prepare(spec.replace(seeds=1))
    try:
        assert not preparation.can_reseed(prepared)
    finally:
        preparation.release(prepared)
    result = runner.run(spec)
    assert result.status == "ok" and result.seeds == [0, 1]


def test_a_restart_can_try_another_learning_rate_with_the_same_trace():
    prepared = preparation.prepare(SPEC.replace(optimizer="momentum", learning_rate=0.01))
    try:
        runner.train_and_conclude(prepared)
        again = preparation.reseed(prepared, 0, learning_rate=0.05)
        assert again.spec.learning_rate == 0.05
        assert float(again.optimizer.learning_rate.numpy()) == pytest.approx(0.05)
        assert runner.train_and_conclude(again).status == "ok"
        assert prepared.trainer.train_traces == 1
    finally:
        preparation.release(prepared)
