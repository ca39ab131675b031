"""The harness comparison's interleaving and figures, with stand-ins for the three variants' steps."""

import pytest

from bench_lib.engine import harness
from bench_lib.engine.loop import LoopOptions, TrainingLoop


class Trainer:
    """The suite's stand-in: every step notes itself in the shared log."""

    def __init__(self, log):
        self.log = log

    def step(self):
        self.log.append("suite")
        return 1.0, 0.5

    def evaluate(self, dataset):
        return {"loss": 1.0, "accuracy": 0.5}


def variant(name, log, seconds_per_step):
    def run(steps):
        log.extend([name] * steps)
        return steps, steps * seconds_per_step

    return run


def interleaved(total_steps, warmup_steps=2, block_steps=3):
    log = []
    options = LoopOptions(steps_per_epoch=100, total_steps=total_steps, warmup_steps=warmup_steps, global_batch_size=10)
    loop = TrainingLoop(trainer=Trainer(log), options=options)
    rounds = harness.InterleavedRounds(
        runs={harness.HANDWRITTEN: variant("handwritten", log, 0.01), harness.FIT: variant("fit", log, 0.02)},
        block_steps=block_steps,
        global_batch_size=10,
    )
    rounds.attach(loop)
    loop.run()
    rounds.finish()
    return log, rounds


def blocks(log):
    """The log as (name, length) runs."""
    runs = []
    for name in log:
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1] + 1)
        else:
            runs.append((name, 1))
    return runs


def test_the_variants_alternate_in_blocks_in_rotating_order_after_the_warmup():
    log, rounds = interleaved(total_steps=2 + 9)
    s, h, f = "suite", "handwritten", "fit"
    # Warm-up (2 suite steps), then rounds s h f | h f s | f s h of 3 steps each.
    assert blocks(log) == [(s, 2 + 3), (h, 3), (f, 3), (h, 3), (f, 3), (s, 3), (f, 3), (s, 3), (h, 3)]
    assert [[b.variant for b in r] for r in rounds.rounds] == [[s, h, f], [h, f, s], [f, s, h]]


def test_a_last_short_block_of_the_suite_still_closes_its_round():
    _, rounds = interleaved(total_steps=2 + 7)
    assert [b.steps for b in rounds.rounds[-1] if b.variant == "suite"] == [1]
    assert rounds.figures()["harness_rounds"] == 3


def test_ratios_are_medians_of_the_rounds_ratios_with_their_spread():
    fast, slow = {"suite": (10, 1.0), "handwritten": (10, 1.0), "fit": (10, 2.0)}, {"suite": (10, 2.0)}
    rounds = [fast, {**fast, **slow}, {**fast, "handwritten": (10, 2.0)}]
    figures = harness.harness_figures(rounds, global_batch_size=4, block_steps=10)
    # Per round, suite / hand-written: 1.0, 0.5, 2.0; suite / fit: 2.0, 1.0, 2.0.
    assert figures["suite_over_handwritten"] == 1.0
    assert figures["suite_over_handwritten_spread"] == {
        "median": 1.0,
        "q1": 0.75,
        "q3": 1.5,
        "min": 0.5,
        "max": 2.0,
        "n": 3,
    }
    assert figures["suite_over_fit"] == 2.0
    assert figures["handwritten_examples_per_sec"] == pytest.approx(30 * 4 / 4.0)
    assert figures["harness_block_examples_per_sec"]["suite"] == [40.0, 20.0, 40.0]
    assert figures["harness_rounds"] == 3 and figures["harness_block_steps"] == 10


def test_no_complete_round_gives_no_figures():
    assert harness.harness_figures([], global_batch_size=4, block_steps=10) == {}
    assert harness.InterleavedRounds(runs={}, block_steps=3, global_batch_size=1).figures() == {}


def test_the_hand_written_loop_takes_the_suites_step_and_fit_times_the_steps_asked():
    from bench_lib.config.spec import RunSpec
    from bench_lib.engine import data as data_lib

    from test_train import ONE_STEP, max_difference, weights_after_one_step

    spec = RunSpec(**ONE_STEP, global_batch_size=64)
    handwritten = harness.Handwritten(spec, data_lib.load(spec))
    assert handwritten.run(1)[0] == 1
    suite = weights_after_one_step(global_batch_size=64)  # shared with test_train.py
    assert max_difference(suite, [v.numpy() for v in handwritten.model.trainable_variables]) < 1e-5
    fit = harness.Fit(spec.replace(steps_per_execution=2), data_lib.load(spec))
    steps, seconds = fit.run(4)
    assert steps == 4 and seconds > 0


def test_without_a_block_size_the_alternatives_run_blocks_as_long_as_the_loops_own():
    log = []
    options = LoopOptions(steps_per_epoch=100, total_steps=2 + 4, warmup_steps=2, global_batch_size=10)
    loop = TrainingLoop(trainer=Trainer(log), options=options)
    rounds = harness.InterleavedRounds(
        runs={harness.HANDWRITTEN: variant("handwritten", log, 0.01)}, global_batch_size=10
    )
    rounds.attach(loop)
    loop.run()
    rounds.finish()
    assert loop.block_size_steps == rounds.block_steps == 1  # no minimum block time: one call
    assert [[b.steps for b in r] for r in rounds.rounds] == [[1, 1]] * 4
