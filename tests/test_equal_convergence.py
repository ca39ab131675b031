"""Training to a training-accuracy target, and evaluating on a validation share of the training set."""

import numpy as np
import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.engine import data, runner


def test_a_training_accuracy_target_stops_where_the_training_set_reaches_it():
    spec = RunSpec(global_batch_size=64, epochs=6, target_accuracy=0.6, target_on="train", target_check_steps=3,
                   stop_at_target=True, warmup_steps=0)  # fmt: skip
    result = runner.run(spec)
    assert result.steps_to_target is not None and result.optimizer_steps == result.steps_to_target
    # conclude() evaluates the training set as the check did, on the weights it stopped with.
    assert result.train_accuracy >= 0.6
    assert spec.id.endswith("-totrain")


def test_the_validation_split_is_carved_from_the_training_set_and_never_reads_the_test_set():
    whole = data.load(RunSpec())
    held = data.load(RunSpec(validation_fraction=0.2))
    assert len(held.x_train) + len(held.x_test) == len(whole.x_train)
    assert round(len(held.x_test) / len(whole.x_train), 2) == 0.2
    train_rows = {row.tobytes() for row in whole.x_train}
    assert all(row.tobytes() in train_rows for row in held.x_test)
    test_rows = {row.tobytes() for row in whole.x_test}
    assert not any(row.tobytes() in test_rows for row in np.concatenate([held.x_train, held.x_test]))
    assert RunSpec(validation_fraction=0.2).id.endswith("-val0.2")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"target_on": "train"}, "target_on='train' is not allowed: only with a target_accuracy"),
        ({"target_on": "valid", "target_accuracy": 0.5}, "target_on='valid' is not allowed"),
        ({"validation_fraction": 0.7}, "validation_fraction=0.7 is not allowed: a share of the training set"),
    ],
)
def test_bad_target_and_validation_fields_are_named(fields, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RunSpec(**fields)
