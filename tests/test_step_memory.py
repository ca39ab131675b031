"""The training step's own memory against an analytic estimate, and the pipeline's cost to the step, on one device."""

import itertools

import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.engine import input_cost, runner

MIB = 1024 * 1024
# The measured step peak must lie within this factor of the estimate, either way: the estimate
# leaves out the allocator's rounding, the softmax's temporaries and what the pipeline prepares meanwhile.
MARGIN = 1.5


def mlp_step_estimate_mib(inputs, hidden, classes, batch):
    """float32 bytes of an MLP step under plain SGD (no optimizer state), as MiB.

    Parameters and their gradients (2 P), plus per example each hidden layer's output and its
    gradient (2 x sum of widths) and the softmax output and its gradient (2 x classes).
    """
    widths = [inputs, *hidden, classes]
    parameters = sum(a * b + b for a, b in itertools.pairwise(widths))
    per_example = 2 * sum(hidden) + 2 * classes
    return 4 * (2 * parameters + batch * per_example) / MIB


@pytest.fixture(scope="module")
def wide_mlp():
    spec = RunSpec(
        dataset="synthetic", model="mlp", hidden_units=(512, 512), optimizer="sgd", dropout=0.0,
        global_batch_size=512, timed_blocks=2, warmup_steps=2,
    )  # fmt: skip
    return runner.run(spec).as_dict()


def test_the_step_peak_of_the_wide_mlp_matches_the_analytic_estimate(wide_mlp):
    estimate = mlp_step_estimate_mib(784, (512, 512), 10, 512)  # 9.1 MiB
    assert estimate / MARGIN <= wide_mlp["step_peak_mib"] <= estimate * MARGIN


def test_the_pipelines_copy_of_the_data_is_reported_apart_from_the_step(wide_mlp):
    data_mib = 8192 * 28 * 28 * 4 / MIB  # the synthetic training set, 24.5 MiB
    assert wide_mlp["input_pipeline_mib"] >= data_mib
    assert wide_mlp["step_peak_mib"] < data_mib < wide_mlp["tf_peak_mib"]


def test_synthetic_data_is_fed_materialized_so_it_has_no_input_cost(wide_mlp):
    assert wide_mlp["input_cost"] is None and wide_mlp["input_bound"] is None


def test_a_reshuffling_pipeline_is_measured_against_materialized_batches():
    result = runner.run(RunSpec(global_batch_size=128, epochs=1, warmup_steps=1)).as_dict()
    assert -1 < result["input_cost"] < 1
    assert result["input_bound"] == (result["input_cost"] > 0.05)


def test_the_input_cost_is_measured_once_per_step_and_pipeline_and_names_where(monkeypatch):
    monkeypatch.setattr(input_cost, "_MEASURED", {})  # what other tests of this process measured
    first = runner.run(RunSpec(global_batch_size=64, epochs=1, warmup_steps=1, seed=3)).as_dict()
    # Another seed, budget and learning rate: the same step and pipeline, so the same figure.
    same = RunSpec(global_batch_size=64, epochs=2, warmup_steps=1, seed=4, lr_scaling="linear", base_batch_size=32)
    same = runner.run(same).as_dict()
    other = runner.run(RunSpec(global_batch_size=32, epochs=1, warmup_steps=1, seed=3)).as_dict()
    assert first.get("input_cost_of") is None
    assert same["input_cost"] == first["input_cost"] and same["input_cost_of"] == first["id"]
    assert other.get("input_cost_of") is None and other["input_cost"] is not None


def test_start_up_is_reported_apart_from_the_steady_step(wide_mlp):
    assert wide_mlp["time_to_first_step_s"] >= wide_mlp["trace_s"] > 0
    assert wide_mlp["first_step_s"] >= wide_mlp["first_step_overhead_s"] >= 0
