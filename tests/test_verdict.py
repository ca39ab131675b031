"""The verdict rules on literal inputs."""

import pytest

from bench_lib.analysis import verdict
from bench_lib.record.history import Benchmark
from bench_lib.record.metrics import metric

TIME, THROUGHPUT, ACCURACY, TF_MEMORY = (
    metric(k) for k in ("step_time_ms", "examples_per_sec", "test_accuracy", "tf_peak_mib")
)
DEFAULTS = verdict.parse_thresholds("")


def bench(rounds_ms=(), status="ok", quartiles=None, **result):
    timing = {}
    if quartiles:
        timing = {"q1": quartiles[0] / 1000, "median": quartiles[1] / 1000, "q3": quartiles[2] / 1000}
    return Benchmark(
        question="q",
        id="x",
        result={"status": status, **result},
        rounds_s=tuple(r / 1000 for r in rounds_ms),
        timing=timing,
    )


STEADY = [10.0, 10.2, 9.9, 10.1, 10.3, 9.8, 10.0, 10.1]


def test_a_significant_slowdown_beyond_the_noise_floor_is_worse():
    slow = [r * 1.5 for r in STEADY]
    v = verdict.compare_metric(TIME, bench(STEADY), bench(slow), DEFAULTS)
    assert v.verdict == "worse" and v.change == pytest.approx(50, abs=0.5)
    assert v.method.startswith("Mann-Whitney U p=") and "noise ×1.35 (default, one process a run)" in v.method
    assert verdict.compare_metric(TIME, bench(slow), bench(STEADY), DEFAULTS).verdict == "better"


def test_a_significant_change_within_the_between_run_noise_is_same():
    # Every round 20% slower: the rounds separate completely (p = 0.00016), but one process a run
    # cannot tell 20% from the spread between processes.
    v = verdict.compare_metric(TIME, bench(STEADY), bench([r * 1.2 for r in STEADY]), DEFAULTS)
    assert v.verdict == "same" and v.change == pytest.approx(20, abs=0.5)


def test_a_slowdown_below_the_threshold_or_not_significant_is_same():
    slightly = [r * 1.05 for r in STEADY]
    assert verdict.compare_metric(TIME, bench(STEADY), bench(slightly), DEFAULTS).verdict == "same"
    noisy_base, noisy_new = [5, 20, 6, 19, 7, 18, 6, 20], [8, 30, 9, 29, 10, 27, 9, 30]  # median +50%, p > 0.002
    v = verdict.compare_metric(TIME, bench(noisy_base), bench(noisy_new), DEFAULTS)
    assert v.change > 30 and v.verdict == "same"


def test_process_medians_narrow_the_floor_so_smaller_changes_count():
    tight = [10.0, 10.1, 9.9, 10.05, 9.95]
    base = bench(STEADY, process_medians=tight)
    slow = bench([r * 1.2 for r in STEADY], process_medians=[m * 1.2 for m in tight])
    v = verdict.compare_metric(TIME, base, slow, DEFAULTS)
    assert v.verdict == "worse" and "(5 vs 5 processes)" in v.method
    spread = [8.0, 12.0, 9.0, 11.0, 10.0]  # processes that differ by 50%: 20% is noise
    v = verdict.compare_metric(TIME, bench(STEADY, process_medians=spread), bench(
        [r * 1.2 for r in STEADY], process_medians=[m * 1.2 for m in spread]), DEFAULTS)  # fmt: skip
    assert v.verdict == "same" and "(5 vs 5 processes)" in v.method


def test_without_raw_rounds_non_overlapping_iqrs_decide_and_say_so():
    base, slow, overlapping = bench(quartiles=(9, 10, 11)), bench(quartiles=(14, 15, 16)), bench(quartiles=(10, 12, 13))
    v = verdict.compare_metric(TIME, base, slow, DEFAULTS)
    assert v.verdict == "worse" and "no raw rounds" in v.method
    assert verdict.compare_metric(TIME, base, overlapping, DEFAULTS).verdict == "same"
    assert verdict.compare_metric(TIME, base, bench(quartiles=(12, 13, 14)), DEFAULTS).verdict == "same"  # ×1.3
    assert verdict.compare_metric(TIME, bench(), bench(), DEFAULTS).verdict == "unknown"


def test_throughput_is_higher_is_better_with_the_rounds_significance():
    base = bench(STEADY, examples_per_sec=1000.0)
    slow = bench([r * 1.5 for r in STEADY], examples_per_sec=666.0)
    assert verdict.compare_metric(THROUGHPUT, base, slow, DEFAULTS).verdict == "worse"
    # The total-time figure fell 40% (one slow round), the rounds' median did not move: same.
    assert verdict.compare_metric(THROUGHPUT, base, bench(STEADY, examples_per_sec=600.0), DEFAULTS).verdict == "same"


def test_accuracy_uses_points_and_the_seed_spread():
    assert verdict.compare_metric(
        ACCURACY, bench(test_accuracy=0.90), bench(test_accuracy=0.885), DEFAULTS
    ).verdict == ("worse")
    assert verdict.compare_metric(
        ACCURACY, bench(test_accuracy=0.90), bench(test_accuracy=0.895), DEFAULTS
    ).verdict == ("same")
    spread = {"test_accuracy": {"n": 3, "std": 0.02, "mean": 0.9}}
    noisy_base, noisy_new = bench(test_accuracy=0.90, seed_stats=spread), bench(test_accuracy=0.88, seed_stats=spread)
    v = verdict.compare_metric(ACCURACY, noisy_base, noisy_new, DEFAULTS)
    assert v.verdict == "same" and "2 SE = 3.27 pt (n=3 vs 3)" in v.method  # 2 pt drop within seed noise
    assert verdict.compare_metric(
        ACCURACY, noisy_base, bench(test_accuracy=0.85, seed_stats=spread), DEFAULTS
    ).verdict == ("worse")


def test_memory_is_relative_with_a_floor():
    assert (
        verdict.compare_metric(TF_MEMORY, bench(tf_peak_mib=100.0), bench(tf_peak_mib=115.0), DEFAULTS).verdict
        == "worse"
    )
    assert verdict.compare_metric(TF_MEMORY, bench(tf_peak_mib=1.0), bench(tf_peak_mib=1.5), DEFAULTS).verdict == "same"
    assert verdict.compare_metric(TF_MEMORY, bench(tf_peak_mib=None), bench(tf_peak_mib=1.5), DEFAULTS).verdict == (
        "unknown"
    )


def test_a_run_that_stops_being_ok_is_worse_and_its_figures_unknown():
    status = metric("status")
    assert verdict.compare_metric(status, bench(), bench(status="oom"), DEFAULTS).verdict == "worse"
    assert verdict.compare_metric(status, bench(status="failed"), bench(), DEFAULTS).verdict == "better"
    assert verdict.compare_metric(TIME, bench(STEADY), bench(STEADY, status="oom"), DEFAULTS).verdict == "unknown"


def test_thresholds_parse_and_reject_bad_parts():
    assert verdict.parse_thresholds("time:5%,accuracy:0.5pt") == {
        "time": 5.0, "throughput": 10.0, "accuracy": 0.5, "memory": 10.0,
    }  # fmt: skip
    for text, message in (
        ("speed:5%", "--fail-on='speed:5%' is not allowed: metrics are time, throughput, accuracy, memory"),
        ("accuracy:1%", "--fail-on='accuracy:1%' is not allowed: write accuracy:<number>pt"),
        ("time:-3%", "--fail-on='time:-3%' is not allowed: write time:<number>%, a number >= 0"),
    ):
        with pytest.raises(ValueError) as caught:
            verdict.parse_thresholds(text)
        assert str(caught.value).startswith(message)


def test_change_point_flags_a_step_outside_the_history_band():
    history = [10.0, 10.4, 9.8, 10.1, 10.2]
    assert verdict.change_point(TIME, history, 13.0, 10.0, 3.0).verdict == "worse"
    assert verdict.change_point(TIME, history, 10.6, 10.0, 3.0).verdict == "same"  # outside the band, under 10%
    assert verdict.change_point(TIME, history, 8.0, 10.0, 3.0).verdict == "better"
    assert verdict.change_point(ACCURACY, [0.9, 0.91, 0.9], 0.85, 1.0, 3.0).verdict == "worse"
    assert verdict.change_point(TIME, history[:2], 13.0, 10.0, 3.0).verdict == "unknown"


def test_a_short_history_keeps_the_default_noise_floor_for_timing():
    tight = [10.0, 10.1, 9.9, 10.05, 9.95]
    v = verdict.change_point(TIME, tight[:3], 12.0, 10.0, 3.0)  # +20%: outside a tight band of 3 runs
    assert v.verdict == "same" and "noise ×1.35 (default, under 5 earlier runs)" in v.method
    assert verdict.change_point(TIME, tight[:3], 14.0, 10.0, 3.0).verdict == "worse"
    assert verdict.change_point(TIME, tight, 12.0, 10.0, 3.0).verdict == "worse"  # 5 runs: their spread decides
    assert verdict.change_point(ACCURACY, [0.9, 0.91, 0.9], 0.85, 1.0, 3.0).verdict == "worse"  # not timing


def test_compare_leaves_out_a_metric_neither_run_measured_and_keeps_one_that_vanished():
    from pathlib import Path

    from bench_lib.record.history import SavedRun

    def saved(name, accuracy):
        benchmark = bench(STEADY, test_accuracy=accuracy, examples_per_sec=100.0)
        return SavedRun(path=Path(name), name=name, datetime="", machine={}, commit={}, benchmarks=(benchmark,),
                        skipped=())  # fmt: skip

    def accuracy_rows(base, new):
        rows = verdict.compare_runs(saved("a", base), saved("b", new), DEFAULTS).rows
        return [r.verdict.verdict for r in rows if r.metric.key == "test_accuracy"]

    assert accuracy_rows(None, None) == [], "synthetic data: evaluated in neither run, so no row"
    assert accuracy_rows(0.9, None) == ["unknown"]
    assert accuracy_rows(0.9, 0.9) == ["same"]
