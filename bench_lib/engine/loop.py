"""The loop of training steps: a step budget, timed in blocks, with epoch-end evaluation and target checks.

LoopOptions (frozen, made from a spec once) says how the loop runs, LoopHooks what it calls besides
the trainer; TrainingLoop holds the running state.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import tensorflow as tf

from bench_lib.config.spec import RunSpec
from bench_lib.engine import timed_blocks
from bench_lib.engine.train import Diverged, Trainer
from bench_lib.record.epoch import EpochRecord


def warmup_steps(spec: RunSpec) -> int:
    """The warm-up; under timed_blocks whole calls, and two at least where there is any.

    The loop sizes the timed blocks from the warm-up calls after the first, which traces the step:
    with a single warm-up call (spec.warmup_steps <= steps_per_execution) the block would be sized
    from the tracing call, overestimated, and come out one call long.
    """
    if spec.timed_blocks is None or spec.warmup_steps == 0:
        return spec.warmup_steps
    per_call = spec.steps_per_execution
    return max(2, -(-spec.warmup_steps // per_call)) * per_call


def total_steps(spec: RunSpec, steps_per_epoch: int) -> int:
    """The step budget; with timed_blocks, warm-up and blocks of one call until the loop sizes them after warm-up."""
    if spec.timed_blocks is not None:
        return warmup_steps(spec) + spec.timed_blocks * spec.steps_per_execution
    return spec.steps if spec.steps is not None else spec.epochs * steps_per_epoch


@dataclass(frozen=True, kw_only=True)
class LoopOptions:
    """How a TrainingLoop runs: its budget, warm-up, timing blocks and target.

    total_steps: the optimizer-step budget (with timed_blocks, reset once the blocks are sized).
    warmup_steps: steps whose calls are not timed; the blocks are sized from their times.
    steps_per_execution: optimizer steps in one call of the trainer's step, at most.
    min_block_s: how long a timed block lasts at least (bench_lib/engine/timed_blocks.py).
    timed_blocks: with it, the budget is the warm-up plus that many blocks.
    target_accuracy, target_check_steps, stop_at_target: when the target is checked (every epoch,
      and every target_check_steps steps) and whether training stops once it is reached.
    """

    steps_per_epoch: int
    total_steps: int
    warmup_steps: int
    global_batch_size: int
    steps_per_execution: int = 1
    min_block_s: float = 0.0
    timed_blocks: int | None = None
    target_accuracy: float | None = None
    target_check_steps: int | None = None
    stop_at_target: bool = False

    @classmethod
    def for_spec(cls, spec: RunSpec, steps_per_epoch: int) -> LoopOptions:
        """The options a (validated) spec asks for, with steps_per_epoch of its training set."""
        return cls(
            steps_per_epoch=steps_per_epoch,
            total_steps=total_steps(spec, steps_per_epoch),
            warmup_steps=warmup_steps(spec),
            global_batch_size=spec.global_batch_size,
            steps_per_execution=spec.steps_per_execution,
            min_block_s=timed_blocks.MIN_BLOCK_S if spec.timed_blocks is None else timed_blocks.TIMED_BLOCK_S,
            timed_blocks=spec.timed_blocks,
            target_accuracy=spec.target_accuracy,
            target_check_steps=spec.target_check_steps,
            stop_at_target=spec.stop_at_target,
        )


@dataclass(frozen=True, kw_only=True)
class LoopHooks:
    """What a TrainingLoop calls besides its trainer; each is optional.

    on_epoch(record): after every epoch's evaluation.
    between_steps(steps_done): untimed before every step (e.g. a probe).
    check(): untimed before every step and after the last (e.g. a memory limit); may raise.
    agree(calls): maps this process's calibrated calls per block to the value every worker of a
      cluster uses, so that all of them run the same number of steps.
    """

    on_epoch: Callable[[EpochRecord], None] | None = None
    between_steps: Callable[[int], None] | None = None
    check: Callable[[], None] | None = None
    agree: Callable[[int], int] | None = None


class TrainingLoop:
    """Runs a Trainer for a step budget, timing it in blocks of calls and evaluating after every epoch.

    Drive it with run(), or call before_step() (untimed bookkeeping) and run_block() yourself,
    as the pytest-benchmark suite does, then finish(). A call runs steps_per_execution optimizer
    steps, fewer where an epoch, a target check, a block or the budget ends first; a call that
    starts before warmup_steps steps are done is warm-up and not timed. Timed calls are grouped
    into blocks of block_size_steps steps (bench_lib/engine/timed_blocks.py calibrates it from the
    warm-up calls so a block lasts min_block_s); each block gives one entry of step_times_s,
    its calls' summed time over its steps. The bookkeeping between a block's calls still runs
    before every call and is never timed. With timed_blocks the budget is warm-up plus that many
    blocks, replacing total_steps once the block size is known.
    With a target_accuracy, the accuracy on target_data (the test data unless given, e.g. the
    training set for comparisons at equal convergence) is checked after every epoch and every
    target_check_steps steps (in before_step, untimed) until it first reaches the target; target_reached_at_step and
    target_reached_after_s then say when (steps done, train_seconds then); with stop_at_target,
    run() stops there.
    """

    def __init__(
        self,
        *,
        trainer: Trainer,
        options: LoopOptions,
        test_data: tf.data.Dataset | None = None,
        target_data: tf.data.Dataset | None = None,
        hooks: LoopHooks = LoopHooks(),
    ) -> None:
        self._trainer = trainer
        self.options = options
        self._hooks = hooks
        self._test_data = test_data
        self._target_data = target_data
        self.total_steps = options.total_steps
        self.warmup_steps = options.warmup_steps
        self._between_steps = [hooks.between_steps] if hooks.between_steps is not None else []
        self.block_size_steps: int | None = None
        self.warmup_call_s: list[float] = []
        self.first_call_s: float | None = None
        self.first_call_ended_at: float | None = None  # time.perf_counter() when the first call returned
        self.first_call_steps = 0
        self.steps_done = 0
        self.diverged_at_step: int | None = None
        # One entry per timed block: its calls' summed duration divided by its optimizer steps.
        self.step_times_s: list[float] = []
        self._block_start: tuple[int, float] | None = None
        self.timed_steps = 0
        self.timed_s = 0.0
        self.history: list[EpochRecord] = []
        self.train_seconds = 0.0
        self.target_reached_at_step: int | None = None
        self.target_reached_after_s: float | None = None
        self._epoch_loss = self._epoch_correct = self._epoch_time = 0.0
        self._epoch_steps = self._epoch_timed_steps = 0

    @property
    def timed_blocks(self) -> int | None:
        return self.options.timed_blocks

    def add_between_steps(self, action: Callable[[int], None]) -> None:
        """Also runs action(steps_done) untimed before every step, after the between_steps given."""
        self._between_steps.append(action)

    @property
    def steps_remaining(self) -> int:
        return max(0, self.total_steps - self.steps_done)

    def before_step(self) -> None:
        """Untimed work before the next step: the `check` given, then the epoch's end if due.

        Raises:
          Diverged: the previous step's loss was not finite (run() stops before calling this).
          whatever `check` raises, e.g. a memory limit exceeded.
        """
        if self.diverged_at_step is not None:
            raise Diverged(self.diverged_at_step)
        if self.block_size_steps is None and self.steps_done >= self.warmup_steps:
            self._size_blocks()  # before the hooks, so they see the blocks of the first timed call
        if self._hooks.check is not None:
            self._hooks.check()
        if self._epoch_steps and self.steps_done % self.options.steps_per_epoch == 0:
            self._end_epoch()
        elif self._target_check_due():
            self._check_target(self._target_accuracy_now())
        for action in self._between_steps:
            action(self.steps_done)

    def _target_check_due(self) -> bool:
        every = self.options.target_check_steps
        pending = self.options.target_accuracy is not None and self.target_reached_at_step is None
        return pending and every is not None and self.steps_done > 0 and self.steps_done % every == 0

    def _target_accuracy_now(self, test_accuracy: float | None = None) -> float:
        """The accuracy the target is checked on: the test data's (test_accuracy if already measured)."""
        if self._target_data is None:
            return test_accuracy if test_accuracy is not None else self._trainer.evaluate(self._test_data)["accuracy"]
        return self._trainer.evaluate(self._target_data)["accuracy"]

    def _check_target(self, test_accuracy: float) -> None:
        if self.options.target_accuracy is None or self.target_reached_at_step is not None:
            return
        if test_accuracy >= self.options.target_accuracy:
            self.target_reached_at_step = self.steps_done
            self.target_reached_after_s = self.train_seconds

    def step(self) -> float:
        """One call of the training step, timed from dispatch until the devices finish; returns its mean loss."""
        steps = self._call_steps(self.steps_done)
        timed = self.steps_done >= self.warmup_steps
        if timed and self.block_size_steps is None:
            self._size_blocks()
            steps = self._call_steps(self.steps_done)
        start = time.perf_counter()
        # A single step is called as step(), the interface every trainer (and test double) has.
        loss, accuracy = self._trainer.step(steps) if steps > 1 else self._trainer.step()
        elapsed = time.perf_counter() - start
        if self.first_call_s is None:
            self.first_call_s, self.first_call_ended_at, self.first_call_steps = elapsed, start + elapsed, steps
        self.steps_done += steps
        self.train_seconds += elapsed
        if timed:
            self._time_call(steps, elapsed)
        else:
            self.warmup_call_s.append(elapsed)
        if not math.isfinite(loss) and self.diverged_at_step is None:
            self.diverged_at_step = self.steps_done
        self._epoch_loss += loss * steps
        self._epoch_correct += accuracy * steps
        self._epoch_steps += steps
        return loss

    def _time_call(self, steps: int, elapsed: float) -> None:
        if self._block_start is None:
            self._block_start = (self.timed_steps, self.timed_s)
        self.timed_steps += steps
        self.timed_s += elapsed
        self._epoch_time += elapsed
        self._epoch_timed_steps += steps
        if self.timed_steps - self._block_start[0] >= self.block_size_steps or self.steps_done >= self.total_steps:
            self._close_block()

    def _close_block(self) -> None:
        """Ends the open block, if any: its steps' summed time over its steps joins step_times_s."""
        if self._block_start is None:
            return
        block_steps, block_s = self.timed_steps - self._block_start[0], self.timed_s - self._block_start[1]
        if block_steps:
            self.step_times_s.append(block_s / block_steps)
        self._block_start = None

    def _size_blocks(self) -> None:
        """Calibrates the block from the warm-up calls; with timed_blocks, sets the budget from it."""
        per_call = self.options.steps_per_execution
        timed_calls = None if self.timed_blocks is not None else -(-self.steps_remaining // per_call)
        calls = timed_blocks.block_calls(
            self.warmup_call_s, min_block_s=self.options.min_block_s, timed_calls=timed_calls
        )
        if self._hooks.agree is not None:
            calls = self._hooks.agree(calls)
        self.block_size_steps = calls * per_call
        if self.timed_blocks is not None:
            self.total_steps = self.steps_done + self.timed_blocks * self.block_size_steps

    def run_block(self) -> float:
        """The calls of one block, each after before_step() but the first; returns the last call's mean loss.

        A warm-up call is a block of its own; call before_step() before every run_block().
        """
        loss = self.step()
        while self._block_start is not None and self._continues():
            self.before_step()
            if not self._continues():
                break
            loss = self.step()
        return loss

    def _continues(self) -> bool:
        stopped = self.options.stop_at_target and self.target_reached_at_step is not None
        return bool(self.steps_remaining) and self.diverged_at_step is None and not stopped

    def planned_calls(self) -> tuple[int, int]:
        """(warm-up calls, timed calls) that the remaining budget takes, with the blocks sized as now."""
        warmup = timed = 0
        done = self.steps_done
        while done < self.total_steps:
            if done < self.warmup_steps:
                warmup += 1
            else:
                timed += 1
            done += self._call_steps(done)
        return warmup, timed

    def warm_up(self) -> int:
        """Runs the warm-up calls, each after before_step(), and sizes the blocks; returns the timed blocks left.

        Raises:
          Diverged, or whatever `check` raises (see before_step).
        """
        while self.steps_done < self.warmup_steps and self._continues():
            self.before_step()
            self.step()
        if self.block_size_steps is None:
            self._size_blocks()
        return -(-self.steps_remaining // self.block_size_steps)

    @property
    def examples_per_sec(self) -> float | None:
        return self.timed_steps * self.options.global_batch_size / self.timed_s if self.timed_s > 0 else None

    def _call_steps(self, done: int) -> int:
        """Steps of the call starting after `done`: it ends at an epoch's end, a target check and a block's end."""
        to_epoch_end = self.options.steps_per_epoch - done % self.options.steps_per_epoch
        steps = min(self.options.steps_per_execution, to_epoch_end, self.total_steps - done)
        if self.options.target_check_steps:
            steps = min(steps, self.options.target_check_steps - done % self.options.target_check_steps)
        if self.block_size_steps and done >= self.warmup_steps:
            into_block = self.timed_steps - self._block_start[0] if self._block_start is not None else 0
            steps = min(steps, self.block_size_steps - into_block)
        return max(1, steps)

    def run(self) -> None:
        """The remaining steps, stopping early at a non-finite loss (or at the target if asked), then finish()."""
        while self._continues():
            self.before_step()
            if not self._continues():
                break
            self.run_block()
        self.finish()

    def finish(self) -> None:
        """Checks the last step as before_step() does, then ends the last epoch."""
        self._close_block()
        if self._hooks.check is not None:
            self._hooks.check()
        if self._epoch_steps:
            self._end_epoch()

    def _end_epoch(self) -> None:
        test = {"loss": None, "accuracy": None}
        if self._test_data is not None:
            test = self._trainer.evaluate(self._test_data)
        n = self._epoch_steps
        record = EpochRecord(
            epoch=len(self.history) + 1,
            steps=self.steps_done,
            train_loss=self._epoch_loss / n,
            train_accuracy=self._epoch_correct / n,
            test_loss=test["loss"],
            test_accuracy=test["accuracy"],
            examples_per_sec=self._epoch_timed_steps * self.options.global_batch_size / self._epoch_time
            if self._epoch_timed_steps
            else None,
            train_seconds=self.train_seconds,
        )
        self.history.append(record)
        if self.options.target_accuracy is not None and self.target_reached_at_step is None:
            self._check_target(self._target_accuracy_now(record.test_accuracy))
        self._epoch_loss = self._epoch_correct = self._epoch_time = 0.0
        self._epoch_steps = self._epoch_timed_steps = 0
        if self._hooks.on_epoch is not None:
            self._hooks.on_epoch(record)
