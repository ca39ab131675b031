import json

import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.engine import runner
from bench_lib.record.files import write_atomic
from bench_lib.record.result import SCHEMA_VERSION, RunResult, with_scaling_efficiency

DOCUMENTED_KEYS = {
    "schema_version", "id", "spec", "status", "error", "test_accuracy", "test_loss", "train_accuracy",
    "train_loss", "examples_per_sec", "step_time_ms", "optimizer_steps", "timed_steps", "diverged_at_step",
    "peak_rss_mib", "rss_growth_mib", "peak_anon_mib", "tf_peak_mib", "replicas", "devices", "parameters",
    "global_batch_size", "micro_batch_size", "accumulation_steps", "wall_s", "history", "versions",
    "scaled_learning_rate", "generalization_gap_accuracy", "generalization_gap_loss", "steps_to_target",
    "examples_to_target", "seconds_to_target", "sharpness", "seeds", "seed_statuses", "seed_stats",
    "noise_scale", "critical_batch_size_estimate", "noise_scale_detail", "loss_scale_final",
    "loss_scale_skipped_steps",
    "workers", "replicas_per_worker", "scaling_efficiency",
    "flops_per_step", "achieved_gflops", "peak_gflops", "peak_precision", "mfu", "input_batch_ms", "input_bound",
    "step_time_cv", "warnings", "block_steps", "input_cost", "input_cost_of", "step_peak_mib", "input_pipeline_mib",
    "time_to_first_step_s", "trace_s", "first_step_s", "first_step_overhead_s", "computation", "cpu_s",
}  # fmt: skip


@pytest.fixture(scope="module")
def result():
    return runner.run(RunSpec(strategy="mirrored", replicas=2, global_batch_size=128, accumulation_steps=2, epochs=2))


def test_result_has_exactly_the_documented_keys(result):
    data = result.as_dict()
    assert set(data) == DOCUMENTED_KEYS
    assert data["schema_version"] == SCHEMA_VERSION
    assert set(data["step_time_ms"]) == {"median", "median_ci95_low", "median_ci95_high", "p90", "iqr", "mean", "min"}
    assert data["step_time_ms"]["median_ci95_low"] <= data["step_time_ms"]["median"]
    assert set(data["history"][0]) == {
        "epoch", "steps", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "examples_per_sec",
        "train_seconds",
    }  # fmt: skip
    assert data["micro_batch_size"] == 32 and data["replicas"] == 2 and len(data["devices"]) == 2
    assert (data["workers"], data["replicas_per_worker"]) == (1, 2)


def test_figures_are_sane(result):
    assert result.status == "ok"
    assert 0 <= result.test_accuracy <= 1 and 0 <= result.train_accuracy <= 1
    assert result.examples_per_sec > 0
    assert result.step_time_ms["min"] <= result.step_time_ms["median"] <= result.step_time_ms["p90"]
    assert len(result.history) == 2


def test_json_round_trip(result):
    text = result.to_json()
    assert RunResult.from_dict(json.loads(text)) == result


def test_an_older_result_without_cluster_keys_still_reads(result):
    data = result.as_dict()
    for key in ("workers", "replicas_per_worker", "scaling_efficiency"):
        del data[key]
    del data["spec"]["workers"]
    assert RunResult.from_dict(data) == result


def test_scaling_efficiency_comes_from_the_single_replica_run_of_the_same_configuration(result):
    multi = result.as_dict()
    baseline = runner.failed(result.spec.single_replica(), RuntimeError("x")).as_dict()
    baseline |= {"status": "ok", "examples_per_sec": multi["examples_per_sec"] / 1.6}
    other_seed = baseline | {"spec": baseline["spec"] | {"seed": 9}, "examples_per_sec": 1.0}
    assert with_scaling_efficiency(multi, [other_seed])["scaling_efficiency"] is None, "another seed is no baseline"
    assert with_scaling_efficiency(multi, [other_seed, baseline])["scaling_efficiency"] == pytest.approx(0.8)
    assert with_scaling_efficiency(baseline, [baseline])["scaling_efficiency"] is None, "one replica has none"


def test_another_schema_is_refused(result):
    data = result.as_dict() | {"schema_version": 99}
    with pytest.raises(ValueError, match=r"^schema_version=99 is not allowed"):
        RunResult.from_dict(data)


def test_a_failure_becomes_a_result_with_status():
    failed = runner.failed(RunSpec(), RuntimeError("boom\nsecond line"))
    assert failed.status == "failed" and failed.error == "RuntimeError: boom"
    assert failed.as_dict()["test_accuracy"] is None


def test_atomic_write_never_overwrites(tmp_path):
    path = tmp_path / "out.json"
    write_atomic(path, "first")
    with pytest.raises(FileExistsError, match="exists already"):
        write_atomic(path, "second")
    assert path.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"], "no temporary file is left behind"
    write_atomic(path, "third", overwrite=True)
    assert path.read_text() == "third"


def test_a_result_saved_before_the_noise_scale_and_loss_scale_keys_reads_back(result):
    old = result.as_dict()
    for key in ("noise_scale", "critical_batch_size_estimate", "noise_scale_detail", "loss_scale_final",
                "loss_scale_skipped_steps"):  # fmt: skip
        del old[key]
    for key in ("bn", "noise_scale_batch_sizes", "noise_scale_interval"):
        del old["spec"][key]
    again = RunResult.from_dict(json.loads(json.dumps(old)))
    assert again.noise_scale is None and again.loss_scale_final is None
    assert again.spec == result.spec
