"""The verdict rules on literal inputs."""

import pytest

from bench_lib.analysis import timing_noise, verdict
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


def test_judged_alone_a_timing_falls_back_to_the_fixed_floor_and_names_it():
    slow = [r * 1.5 for r in STEADY]
    v = verdict.compare_metric(TIME, bench(STEADY), bench(slow), DEFAULTS)
    assert v.verdict == "worse" and v.change == pytest.approx(50, abs=0.5)
    assert "noise floor ×1.35 (fallback: judged alone" in v.method and "rounds: Mann-Whitney U p=" in v.method
    assert verdict.compare_metric(TIME, bench(slow), bench(STEADY), DEFAULTS).verdict == "better"
    v = verdict.compare_metric(TIME, bench(STEADY), bench([r * 1.2 for r in STEADY]), DEFAULTS)
    assert v.verdict == "same" and v.detectable == 1.35
    assert "the noise floor decided, not the threshold time:10%" in v.method


def test_a_measured_noise_decides_instead_of_the_floor_and_states_what_it_could_see():
    tight = timing_noise.Noise("test spread", se=0.02, dof=40)
    slow = bench([r * 1.2 for r in STEADY])
    v = verdict.compare_metric(TIME, bench(STEADY), slow, DEFAULTS, tight)
    assert v.verdict == "worse" and v.method.startswith("p=")
    wide = timing_noise.Noise("test spread", se=0.2, dof=40)
    v = verdict.compare_metric(TIME, bench(STEADY), slow, DEFAULTS, wide)
    assert v.verdict == "same" and "the noise decided, not the threshold time:10%" in v.method
    assert v.detectable == pytest.approx(wide.detectable()) and v.insensitive(1.1) and not v.insensitive(3.0)


def test_the_threshold_is_applied_when_the_noise_allows_it():
    tight = timing_noise.Noise("test spread", se=0.01, dof=60)
    base, slightly = bench(STEADY), bench([r * 1.07 for r in STEADY])
    v = verdict.compare_metric(TIME, base, slightly, DEFAULTS, tight)
    assert v.verdict == "same" and "below the threshold time:10% (--fail-on)" in v.method
    five = verdict.parse_thresholds("time:5%")
    assert verdict.compare_metric(TIME, base, slightly, five, tight).verdict == "worse"


def test_a_slowdown_not_significant_in_its_rounds_is_same():
    tight = timing_noise.Noise("test spread", se=0.01, dof=60)
    noisy_base, noisy_new = [5, 20, 6, 19, 7, 18, 6, 20], [8, 30, 9, 29, 10, 27, 9, 30]  # median +50%, p > 0.01
    v = verdict.compare_metric(TIME, bench(noisy_base), bench(noisy_new), DEFAULTS, tight)
    assert v.change > 30 and v.verdict == "same"


def test_a_changed_configuration_gets_no_verdict_and_names_the_fields():
    base = bench(STEADY, spec={"epochs": 5, "seeds": 1, "data_path": "/a", "model": "mlp"}, test_accuracy=0.9)
    new = bench([r * 3 for r in STEADY], spec={"epochs": 2, "seeds": 3, "data_path": "/b"}, test_accuracy=0.6)
    for m in (TIME, ACCURACY, metric("status")):
        v = verdict.compare_metric(m, base, new, DEFAULTS)
        assert v.verdict == "changed" and v.gate == "configuration changed"
        assert v.method == "configuration changed: epochs 5 -> 2, seeds 1 -> 3"  # not data_path, not model
    older = bench(STEADY, spec={"epochs": 5})  # saved before a field existed: not compared
    assert verdict.gate(older, bench(STEADY, spec={"epochs": 5, "timed_blocks": None})) is None


def test_seeds_added_until_decided_are_not_a_changed_configuration_but_another_first_count_is():
    def seeded(reached, first, cap=6):
        return bench(STEADY, spec={"epochs": 5, "seeds": reached}, seeds_until_decided={"first": first, "cap": cap})

    assert verdict.gate(seeded(3, 3), seeded(6, 3)) is None
    assert verdict.gate(bench(STEADY, spec={"epochs": 5, "seeds": 3}), seeded(5, 3)) is None  # a run made before
    assert verdict.gate(seeded(5, 3), seeded(5, 5)) == ("configuration changed", "seeds 3 -> 5")
    assert verdict.gate(bench(STEADY, spec={"seeds": 3}), bench(STEADY, spec={"seeds": 5})) == (
        "configuration changed",
        "seeds 3 -> 5",
    )


def test_the_run_level_shift_is_worse_beyond_the_threshold_only():
    many = [0.18 + 0.01 * ((i % 5) - 2) for i in range(20)]
    shift = timing_noise.shift(many)
    assert verdict.shift_verdict(TIME, shift, 10.0, 20).verdict == "worse"
    assert verdict.shift_verdict(THROUGHPUT, shift, 10.0, 20).verdict == "worse"
    assert verdict.shift_verdict(TIME, shift, 25.0, 20).verdict == "same"
    assert verdict.shift_verdict(TIME, None, 10.0, 3).verdict == "unknown"


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
        ("throughput:100%", "--fail-on=throughput:100% is not allowed: a drop below 100%"),
    ):
        with pytest.raises(ValueError) as caught:
            verdict.parse_thresholds(text)
        assert str(caught.value).startswith(message)


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
