"""Steps to a target test accuracy across batch sizes at a learning rate tuned for each batch (Shallue et al. 2019).

For every batch size and optimizer, a log grid of learning rates around the optimizer's default
trains once each on the training set minus a held-out validation share, until the validation
accuracy reaches the target (untimed). While the best rate (fewest steps to the target, else the
best validation accuracy) has no worse rate beside it on one side, the grid grows by one grid
step on that side, up to tuning.MAX_WIDENINGS extra rates (Shallue et al.: conclusions about
batch size hinge on a tuned rate, and a rate at the edge of its grid is not known to be tuned).
The best rate is rerun with the question's seeds on the whole training set, each round one
seed's whole run to the target on the test set, as in time_to_accuracy. The findings label each
step along the batch axis perfect scaling, diminishing returns or maximal data parallelism where
every optimum is bracketed, and fit the critical batch beside the noise scale's B_simple.
"""

import itertools

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
    lr_trials = [_trial_entry(t) for t in trials]
    result = measure_runs_to_target(spec.replace(learning_rate=best), extra={"lr_trials": lr_trials}, restart=True)
    assert result["spec"]["learning_rate"] == best


def _trial_entry(trial):
    """What a result keeps of one tuning trial (its lr_trials entry)."""
    return {key: trial[key] for key in ("status", "steps_to_target")} | {
        "learning_rate": trial["spec"]["learning_rate"],
        "validation_accuracy": trial["test_accuracy"],
    }


def _trials(spec, rates):
    """One untimed run per rate on the validation split, the first prepared, the others restarting it;
    then one more rate at a time, a grid step past the edge, until the best is bracketed or the cap."""
    from bench_lib.engine import preparation, runner

    factor = rates[1] / rates[0] if len(rates) > 1 else 10.0
    prepared = preparation.prepare(spec.replace(learning_rate=rates[0]))
    try:
        trials = [runner.train_and_conclude(prepared, time_input=False).as_dict()]
        for rate in itertools.chain(rates[1:], _widened(trials, factor)):
            again = preparation.reseed(prepared, spec.seed, learning_rate=rate)
            trials.append(runner.train_and_conclude(again, time_input=False).as_dict())
        return trials
    finally:
        preparation.release(prepared)


def _widened(trials, factor):
    """The rates past the grid's edge to try next, each read from the trials run so far (lazily: each is
    asked for only after the trial before it has been appended)."""
    for _ in range(tuning.MAX_WIDENINGS):
        rate = tuning.next_rate([_trial_entry(t) for t in trials], factor)
        if rate is None:
            return
        yield rate
