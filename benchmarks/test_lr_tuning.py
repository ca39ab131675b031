"""Steps to a target test accuracy across batch sizes at a learning rate tuned for each batch (Shallue et al. 2019).

For every batch size and optimizer, a log grid of learning rates around the optimizer's default
trains once each on the training set minus a held-out validation share, until the validation
accuracy reaches the target (untimed); the rate that gets there in the fewest steps (else the
best validation accuracy) is rerun with the question's seeds on the whole training set, each
round one seed's whole run to the target on the test set, as in time_to_accuracy. The findings
label each step along the batch axis perfect scaling, diminishing returns or maximal data
parallelism, and set the knee beside the noise scale's B_simple when the run measured it.
"""

import pytest

from bench_lib.analysis import tuning
from bench_lib.config.spec import DEFAULT_LEARNING_RATES


def grid(profile):
    sizes = profile.sizes("lr_tuning")
    return [
        {
            **profile.shape(profile.strategies[0]),
            "optimizer": optimizer,
            "global_batch_size": batch,
            "epochs": sizes.max_epochs,
            "target_accuracy": sizes.target_accuracy,
            "target_check_steps": max(1, sizes.check_examples // batch),
            "stop_at_target": True,
            "seeds": profile.seeds_of_question(),
        }
        for optimizer in sizes.optimizers
        for batch in sizes.batch_sizes
    ]


def test_lr_tuning(measure_runs_to_target, spec, profile):
    sizes = profile.sizes("lr_tuning")
    rates = tuning.log_grid(DEFAULT_LEARNING_RATES[spec.optimizer], sizes.points, sizes.decades)
    on_validation = spec.replace(seeds=1, validation_fraction=sizes.validation_fraction)
    try:
        trials = _trials(on_validation, rates)
    except ValueError as error:  # a batch the data cannot fill
        pytest.skip(str(error))
    best = tuning.best_rate(trials)
    if best is None:
        pytest.fail(f"{spec.id}: no learning rate of {rates} trained without diverging", pytrace=False)
    lr_trials = [
        {key: t[key] for key in ("status", "steps_to_target")}
        | {"learning_rate": t["spec"]["learning_rate"], "validation_accuracy": t["test_accuracy"]}
        for t in trials
    ]
    result = measure_runs_to_target(spec.replace(learning_rate=best), extra={"lr_trials": lr_trials}, restart=True)
    assert result["spec"]["learning_rate"] == best


def _trials(spec, rates):
    """One untimed run per rate on the validation split: the first prepared, the others restarting it."""
    from bench_lib.engine import preparation, runner

    prepared = preparation.prepare(spec.replace(learning_rate=rates[0]))
    try:
        trials = [runner.train_and_conclude(prepared, time_input=False).as_dict()]
        for rate in rates[1:]:
            again = preparation.reseed(prepared, spec.seed, learning_rate=rate)
            trials.append(runner.train_and_conclude(again, time_input=False).as_dict())
        return trials
    finally:
        preparation.release(prepared)
