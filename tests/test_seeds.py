import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.record.result import RunResult
from bench_lib.record.seeds import combine


def result(seed, status="ok", **metrics):
    spec = RunSpec(seed=seed, target_accuracy=0.9)
    return RunResult(spec=spec, status=status, seeds=[seed], seed_statuses=[status], **metrics)


def test_seeds_give_per_seed_values_and_their_statistics():
    combined = combine([result(0, test_accuracy=0.90), result(1, test_accuracy=0.92), result(2, test_accuracy=0.94)])
    assert combined.status == "ok"
    assert combined.seeds == [0, 1, 2]
    assert combined.spec.seeds == 3 and combined.spec.seed == 0
    entry = combined.seed_stats["test_accuracy"]
    assert entry["values"] == [0.90, 0.92, 0.94]
    assert entry["mean"] == pytest.approx(0.92) and combined.test_accuracy == pytest.approx(0.92)
    assert entry["std"] == pytest.approx(0.02)
    half = 4.302652729749464 * 0.02 / 3**0.5
    assert entry["ci95"] == pytest.approx([0.92 - half, 0.92 + half])
    assert entry["n"] == 3


def test_a_target_some_seeds_missed_is_averaged_over_those_that_reached_it():
    combined = combine([result(0, steps_to_target=100), result(1), result(2, steps_to_target=140)])
    entry = combined.seed_stats["steps_to_target"]
    assert entry["values"] == [100, None, 140]
    assert entry["n"] == 2 and combined.steps_to_target == 120


def test_a_bad_seed_makes_the_status_and_is_left_out_of_the_statistics():
    combined = combine([result(0, test_accuracy=0.9), result(1, "diverged", test_accuracy=0.1, diverged_at_step=7)])
    assert combined.status == "diverged" and combined.diverged_at_step == 7
    assert combined.error == "seed 1: diverged"
    assert combined.seed_statuses == ["ok", "diverged"]
    assert combined.seed_stats["test_accuracy"]["values"] == [0.9, None]
    assert combined.test_accuracy == 0.9


def test_the_combined_result_round_trips_through_its_dict():
    combined = combine([result(0, test_accuracy=0.9), result(1, test_accuracy=0.8)])
    again = RunResult.from_dict(combined.as_dict())
    assert again.seed_stats == combined.seed_stats and again.spec.seeds == 2


def test_an_old_result_without_the_new_keys_still_loads():
    old = result(0, test_accuracy=0.9).as_dict()
    for key in ("seeds", "seed_stats", "seed_statuses", "steps_to_target", "sharpness", "generalization_gap_loss"):
        old.pop(key)
    for key in ("seeds", "lr_scaling", "base_batch_size", "warmup_epochs", "target_accuracy", "stop_at_target"):
        old["spec"].pop(key)
    loaded = RunResult.from_dict(old)
    assert loaded.seed_stats == {} and loaded.spec.lr_scaling == "none"


def test_combine_refuses_different_configurations_and_repeated_seeds():
    with pytest.raises(ValueError, match="different configurations"):
        combine([result(0), RunResult(spec=RunSpec(seed=1, global_batch_size=64), status="ok")])
    with pytest.raises(ValueError, match=r"^seeds=\[0, 0\] is not allowed"):
        combine([result(0), result(0)])
