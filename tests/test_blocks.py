"""How the training loop's timed blocks are sized and what a block records, with literal inputs."""

import pytest

from bench_lib.engine import timed_blocks
from bench_lib.engine.loop import LoopOptions, TrainingLoop


def test_a_block_is_the_fewest_calls_that_reach_the_minimum_time():
    # The first warm-up call traced the step; the steady calls take 2 ms at best.
    assert timed_blocks.block_calls([0.9, 0.003, 0.002], min_block_s=0.05, timed_calls=None) == 25


def test_the_tracing_call_counts_only_when_it_is_the_only_warm_up_call():
    assert timed_blocks.block_calls([0.02], min_block_s=0.05, timed_calls=None) == 3
    assert timed_blocks.block_calls([], min_block_s=0.05, timed_calls=None) == 1


def test_a_fixed_budget_still_gives_at_least_ten_blocks():
    assert timed_blocks.block_calls([0.9, 0.001], min_block_s=0.05, timed_calls=200, min_blocks=10) == 20
    assert timed_blocks.block_calls([0.9, 0.001], min_block_s=0.05, timed_calls=7, min_blocks=10) == 1


def test_no_minimum_time_makes_every_call_a_block():
    assert timed_blocks.block_calls([0.9, 0.001], min_block_s=0.0, timed_calls=None) == 1


class ClockedTrainer:
    """Every call takes the next duration of a fixed list; the loop reads time.perf_counter around it."""

    def __init__(self, clock, durations):
        self.clock, self.durations = clock, list(durations)

    def step(self, steps=1):
        self.clock.now += self.durations.pop(0)
        return 1.0, 0.5

    def evaluate(self, dataset):
        return {"loss": 1.0, "accuracy": 0.5}


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


def test_timed_blocks_set_the_budget_and_each_block_is_its_time_per_step(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("bench_lib.engine.loop.time.perf_counter", clock)
    # Warm-up: a 1 s tracing call and a 10 ms call, so a block of 0.05 s is 5 calls.
    durations = [1.0, 0.010] + [0.010] * 5 + [0.020] * 5 + [0.010] * 5
    options = LoopOptions(
        steps_per_epoch=4, total_steps=2 + 3, warmup_steps=2, global_batch_size=8, min_block_s=0.05, timed_blocks=3
    )
    loop = TrainingLoop(trainer=ClockedTrainer(clock, durations), options=options)
    loop.run()
    assert loop.block_size_steps == 5
    assert loop.steps_done == 2 + 3 * 5, "epoch ends (every 4 steps) do not cut a block"
    assert [round(t, 6) for t in loop.step_times_s] == [0.010, 0.020, 0.010]
    assert len(loop.history) == 5  # the epoch ends were evaluated between the calls, untimed


@pytest.mark.parametrize(
    ("warmup", "per_call", "timed_blocks", "expected"),
    [
        (3, 8, 10, 16),  # one call would be the tracing one alone: two calls
        (3, 1, 10, 3),
        (1, 1, 10, 2),
        (20, 8, 10, 24),  # whole calls
        (0, 8, 10, 0),  # no warm-up asked, none given
        (3, 8, None, 3),  # a fixed budget times every call after the warm-up steps
    ],
)
def test_timed_blocks_warm_up_for_two_whole_calls_at_least(warmup, per_call, timed_blocks, expected):
    from bench_lib.config.spec import RunSpec
    from bench_lib.engine.loop import total_steps, warmup_steps

    spec = RunSpec(warmup_steps=warmup, steps_per_execution=per_call, timed_blocks=timed_blocks, steps=40)
    assert warmup_steps(spec) == expected
    if timed_blocks is not None:
        assert total_steps(spec, steps_per_epoch=11) == expected + timed_blocks * per_call
