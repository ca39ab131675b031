"""Further processes of one configuration (--bench-processes) each report their median step time."""

import subprocess

import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.suite import processes


def test_a_fresh_process_reports_the_median_step_time_in_ms():
    spec = RunSpec(dataset="synthetic", timed_blocks=2, warmup_steps=1, global_batch_size=64)
    [median_ms] = processes.further_medians_ms(spec, 1, peak_gflops=100.0)
    assert 0 < median_ms < 10_000


def test_a_failing_process_is_one_line_naming_the_configuration(tmp_path):
    spec = RunSpec(dataset="mnist", data_path=str(tmp_path / "missing.npz"), steps=2)
    with pytest.raises(RuntimeError) as error:
        processes.further_medians_ms(spec, 1, peak_gflops=100.0)
    assert str(error.value).startswith(f"{spec.id}: a further process failed: ")
    assert "missing.npz" in str(error.value) and "\n" not in str(error.value)


def test_a_process_that_runs_too_long_is_a_runtime_error_naming_the_configuration(monkeypatch):
    def too_long(command, **kwargs):
        raise subprocess.TimeoutExpired(command, kwargs["timeout"])

    monkeypatch.setattr(subprocess, "run", too_long)
    spec = RunSpec(dataset="synthetic", steps=2)
    with pytest.raises(RuntimeError, match=f"^{spec.id}: a further process ran longer than "):
        processes.further_medians_ms(spec, 1, peak_gflops=None)
