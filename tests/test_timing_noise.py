"""The timing noise rule: its floor on literal inputs, and A/A and 1.5x slowdown copies of the example run."""

import copy
import json
import math
import random
from pathlib import Path

import pytest
from scipy.stats import ttest_ind

from bench_lib.analysis import timing_noise
from bench_lib.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[1] / "reports" / "example" / "0001_example.json"
SCALED_STATS = ("min", "max", "mean", "stddev", "median", "iqr", "q1", "q3", "ld15iqr", "hd15iqr", "total")
# The example's configurations with 7 per-step rounds spread by 35-53%: a rank test on so few
# rounds cannot resolve a 1.5x change at p < 0.01 (p = 0.03-0.13), so they stay 'same'.
TOO_FEW_ROUNDS = {
    "batch_size/one_device-bs512-acc1-mlp-adam",
    "batch_size/mirrored2-bs512-acc1-mlp-adam",
    "lr_scaling/one_device-bs512-acc1-mlp-adam",
    "lr_scaling/one_device-bs512-acc1-mlp-adam-lrlinear32-wu1",
    "lr_scaling/one_device-bs512-acc1-mlp-adam-lrsqrt32-wu1",
}


def test_the_process_floor_is_a_pooled_t_test_on_log_medians_at_p_0002():
    base, new = [10.0, 10.4, 9.7, 10.1], [10.2, 9.9, 10.3, 10.0]
    floor = timing_noise.process_floor(base, new)
    assert floor.source == "4 vs 4 processes"
    for margin, significant in ((1.01, True), (0.99, False)):
        shifted = [v * floor.factor * margin for v in new]
        p = ttest_ind([math.log(v) for v in base], [math.log(v) for v in shifted]).pvalue
        assert bool(p < timing_noise.PROCESS_ALPHA) == significant


def test_more_processes_narrow_the_floor_and_one_process_has_none():
    spread = [10.0, 10.5, 9.6, 10.2, 9.9, 10.3, 9.8, 10.1]
    assert timing_noise.process_floor(spread[:8], spread[:8]).factor < timing_noise.process_floor(
        spread[:3], spread[:3]
    ).factor  # fmt: skip
    assert timing_noise.process_floor([10.0], [11.0]) is None
    assert timing_noise.process_floor(spread[:4], [11.0]).source == "4 vs 1 processes"
    assert timing_noise.compare_floor({}, {"process_medians": [1.0]}) == timing_noise.DEFAULT_FLOOR


def test_a_run_trained_for_accuracy_gets_the_wider_floor_of_its_kind():
    accuracy_run, timed_run, older_run = ({"spec": {"timed_blocks": None}}, {"spec": {"timed_blocks": 10}},
                                          {"spec": {"epochs": 5}})  # fmt: skip
    assert timing_noise.compare_floor(accuracy_run, accuracy_run) == timing_noise.ACCURACY_RUN_FLOOR
    assert timing_noise.compare_floor(timed_run, timed_run) == timing_noise.DEFAULT_FLOOR
    assert timing_noise.compare_floor(older_run, older_run) == timing_noise.DEFAULT_FLOOR, "saved before blocks"
    floor = timing_noise.ACCURACY_RUN_FLOOR
    assert floor.exceeded_by(1.85) and not floor.exceeded_by(1.66), "the 1.66x spread of quiet reruns is noise"
    processes = {"spec": {"timed_blocks": None}, "process_medians": [10.0, 10.2, 9.9]}
    assert timing_noise.compare_floor(processes, processes).source == "3 vs 3 processes"


def test_malformed_process_medians_are_ignored():
    for bad in ([1.0, -1.0], [1.0, "x"], "1,2", [1.0, math.inf], None):
        assert timing_noise.process_medians({"process_medians": bad}) == ()
    assert timing_noise.process_medians({"process_medians": [1, 2.5]}) == (1.0, 2.5)


def test_rounds_too_few_for_the_rank_test_fall_back_to_iqrs_and_say_so():
    differ, method = timing_noise.rounds_differ([1.0, 1.1, 1.0, 0.9], [2.0, 2.1, 1.9, 2.0])
    assert differ and method == "IQRs compared (4 vs 4 rounds cannot reach p<0.01)"
    differ, method = timing_noise.rounds_differ([1.0, 1.1, 1.0, 0.9, 1.0, 1.05, 0.95], [2.0] * 7)
    assert differ and method.startswith("Mann-Whitney U p=")
    with pytest.raises(ValueError, match="at least 2 rounds a run, got 1 and 7"):
        timing_noise.rounds_differ([1.0], [2.0] * 7)


def test_the_floor_is_symmetric_in_log():
    floor = timing_noise.DEFAULT_FLOOR
    assert floor.exceeded_by(1.36) and floor.exceeded_by(1 / 1.36)
    assert not floor.exceeded_by(1.34) and not floor.exceeded_by(1 / 1.34)


def rescaled(data: dict, factor_of: dict[str, float]) -> dict:
    """A copy of a saved run whose configurations' rounds are scaled, each by its own factor."""
    data = copy.deepcopy(data)
    for bench in timed(data):
        stats, info = bench["stats"], bench["extra_info"]
        factor = factor_of[bench["fullname"]]
        stats["data"] = [t * factor for t in stats["data"]]
        stats.update({k: stats[k] * factor for k in SCALED_STATS})
        info["examples_per_sec"] /= factor
        info["step_time_ms"] = {k: v * factor for k, v in info["step_time_ms"].items()}
    return data


def timed(data: dict) -> list[dict]:
    """The saved run's training configurations (not its largest-batch search)."""
    return [b for b in data["benchmarks"] if "step_time_ms" in b["extra_info"]]


def write(folder: Path, name: str, data: dict) -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def compare_rows(tmp_path: Path, new: dict, capsys) -> tuple[int, list[list[str]]]:
    base = write(tmp_path, "0001_a", json.loads(EXAMPLE.read_text()))
    code = main(["compare", str(base), str(write(tmp_path, "0002_b", new)), "--reports", str(tmp_path)])
    out = capsys.readouterr().out
    rows = [line.split(" | ") for line in out.splitlines() if line.startswith("| ") and "/" in line.split(" | ")[0]]
    return code, rows


def test_an_a_a_pair_with_realistic_between_run_noise_has_nothing_worse(tmp_path, capsys):
    data = json.loads(EXAMPLE.read_text())
    rng = random.Random(14)
    # Each configuration's rerun at an extreme of the measured between-run spread of its median
    # (0.8 or 1.25 times, a spread that includes the rounds' own sampling noise).
    factors = {b["fullname"]: rng.choice((0.8, 1.25)) for b in timed(data)}
    code, rows = compare_rows(tmp_path, rescaled(data, factors), capsys)
    timing = [r for r in rows if r[1] in ("step time (median)", "throughput")]
    assert len(timing) == 2 * len(timed(data))
    assert [r for r in rows if r[5] == "**worse**"] == []
    assert code == 0


def test_every_round_one_and_a_half_times_as_long_is_worse(tmp_path, capsys):
    data = json.loads(EXAMPLE.read_text())
    factors = {b["fullname"]: 1.5 for b in timed(data)}
    code, rows = compare_rows(tmp_path, rescaled(data, factors), capsys)
    timing = [r for r in rows if r[1] in ("step time (median)", "throughput")]
    assert len(timing) == 2 * len(timed(data))
    resolved = [r for r in timing if r[0].removeprefix("| ") not in TOO_FEW_ROUNDS]
    assert {r[5] for r in resolved} == {"**worse**"}
    unresolved = [r for r in timing if r[0].removeprefix("| ") in TOO_FEW_ROUNDS]
    assert len(unresolved) == 2 * len(TOO_FEW_ROUNDS) and {r[5] for r in unresolved} == {"same"}
    assert code == 1
