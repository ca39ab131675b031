"""Time to accuracy in the training loop, and what a real run records about target, gap, seeds and sharpness."""

import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.engine import runner
from bench_lib.engine.loop import LoopOptions, TrainingLoop


class FakeTrainer:
    """Test accuracy is a known function of the steps done: steps / 10."""

    def __init__(self):
        self.steps = 0

    def step(self):
        self.steps += 1
        return 1.0, 0.5

    def evaluate(self, dataset):
        return {"loss": 1.0, "accuracy": self.steps / 10}


def loop(**kwargs):
    fields = {"steps_per_epoch": 5, "total_steps": 10, "warmup_steps": 0, "global_batch_size": 8}
    return TrainingLoop(trainer=FakeTrainer(), options=LoopOptions(**{**fields, **kwargs}))


def test_the_first_step_reaching_the_target_is_recorded():
    checked = loop(target_accuracy=0.35, target_check_steps=1)
    checked.run()
    assert checked.target_reached_at_step == 4  # accuracy 0.3 after step 3, 0.4 after step 4
    assert checked.target_reached_after_s == pytest.approx(sum(checked.step_times_s[:4]))
    assert checked.steps_done == 10, "without stop_at_target the budget is trained to the end"


def test_without_extra_checks_the_target_is_seen_at_the_epoch_end():
    per_epoch = loop(target_accuracy=0.35)
    per_epoch.run()
    assert per_epoch.target_reached_at_step == 5


def test_training_stops_at_the_target_when_asked():
    stopping = loop(target_accuracy=0.35, target_check_steps=2, stop_at_target=True)
    stopping.run()
    assert stopping.target_reached_at_step == stopping.steps_done == 4
    assert [h.steps for h in stopping.history] == [4]


def test_a_target_never_reached_stays_none():
    missed = loop(target_accuracy=1.0, target_check_steps=1, total_steps=9)
    missed.run()
    assert missed.target_reached_at_step is None and missed.target_reached_after_s is None


def test_a_seeded_run_records_per_seed_target_gap_and_sharpness():
    spec = RunSpec(
        global_batch_size=64, epochs=2, seeds=2, target_accuracy=0.3, target_check_steps=2, sharpness_samples=2,
        lr_scaling="sqrt", warmup_epochs=1.0,
    )  # fmt: skip
    result = runner.run(spec).as_dict()
    assert result["status"] == "ok" and result["seeds"] == [0, 1]
    accuracy = result["seed_stats"]["test_accuracy"]
    assert len(accuracy["values"]) == 2 and accuracy["values"][0] != accuracy["values"][1]
    assert accuracy["ci95"][0] < result["test_accuracy"] < accuracy["ci95"][1]
    steps = result["seed_stats"]["steps_to_target"]["values"]
    assert all(s is not None and s % 2 == 0 for s in steps), "reached at a check (every 2 steps; epochs are 22)"
    assert result["examples_to_target"] == pytest.approx(result["steps_to_target"] * 64)
    gap = result["train_accuracy"] - result["test_accuracy"]
    assert result["generalization_gap_accuracy"] == pytest.approx(gap)
    assert result["generalization_gap_loss"] == pytest.approx(result["test_loss"] - result["train_loss"])
    assert result["sharpness"] is not None
    assert result["scaled_learning_rate"] == pytest.approx(0.001 * 2**0.5)
