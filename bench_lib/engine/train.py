"""The training step, the loop of steps and the evaluation, identical under every strategy.

The step is a tf.function around strategy.run. Each replica splits its share of the global
batch into accumulation_steps micro-batches, runs them one after another, and sums their
gradients; every per-example loss is divided by the *global* batch size
(tf.nn.compute_average_loss), so the summed gradient of k micro-batches on R replicas equals
the gradient of the mean loss over the whole global batch. The optimizer then applies once.
BatchNormalization sees one micro-batch at a time: its batch statistics, and its moving-average
updates (one per micro-batch), come from micro_batch_size examples on one replica — unless
the model's BN is synchronized (spec.bn='sync'), when they come from the micro-batches of all
replicas together. Under float16 a DynamicLossScale scales the loss, and a step whose gradients
are not finite on every replica is skipped (see loss_scale.py).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable

import keras
import tensorflow as tf

from bench_lib.config.spec import RunSpec
from bench_lib.engine.loss_scale import DynamicLossScale, all_finite
from bench_lib.record.epoch import EpochRecord


class Diverged(Exception):
    """Raised before the step after a non-finite loss: the configuration stops there."""

    def __init__(self, step: int) -> None:
        super().__init__(f"loss was not finite at optimizer step {step}")
        self.step = step


class Trainer:
    """One model and optimizer trained under one strategy: a step and an evaluation."""

    def __init__(
        self,
        *,
        strategy: tf.distribute.Strategy,
        model: keras.Model,
        optimizer: keras.optimizers.Optimizer,
        spec: RunSpec,
        train_iterator: tf.distribute.DistributedIterator,
        loss_scale: DynamicLossScale | None = None,
    ) -> None:
        self._strategy = strategy
        self.loss_scale = loss_scale
        self._model = model
        self._optimizer = optimizer
        self._spec = spec
        self._iterator = train_iterator
        self._loss = keras.losses.SparseCategoricalCrossentropy(reduction=None)
        # XLA compiles each replica's forward and backward passes; the iterator, the optimizer
        # update (a cross-replica synchronization point under mirrored) and the reduction stay outside.
        self._jit_gradients = tf.function(functools.partial(self._accumulate), jit_compile=True)
        # tf.function counts traces per code object, so a sweep that builds many Trainers would
        # warn of retracing; a partial has no code object and is counted per Trainer. The step
        # reads the iterator it captures: taking it as an argument costs every call the argument
        # handling of a distributed iterator (about 0.3 ms under OneDeviceStrategy here).
        self._train_fn = tf.function(functools.partial(self._distributed_step))
        # Several steps per call take a tensor step count, so an epoch's shorter last call does not retrace.
        self._multi_fn = tf.function(functools.partial(self._distributed_steps))
        self._eval_fn = tf.function(functools.partial(self._eval_batch))

    def step(self, steps: int = 1) -> tuple[float, float]:
        """`steps` optimizer steps in one tf.function call, each on the next global batch.

        `steps` is 1 unless spec.steps_per_execution is more (up to it).

        Returns (mean loss, accuracy) over those steps' batches, only when the devices have
        finished. More than one step per call removes Python's dispatch between them.
        """
        if self._spec.steps_per_execution == 1:
            loss, correct = self._train_fn()
        else:
            loss, correct = self._multi_fn(tf.constant(steps))
        return float(loss.numpy()) / steps, float(correct.numpy()) / (self._spec.global_batch_size * steps)

    @property
    def train_traces(self) -> int:
        """How often the training step was traced (a graph built); constant after the first call."""
        return sum(f.experimental_get_tracing_count() for f in (self._train_fn, self._multi_fn))

    def evaluate(self, dataset: tf.data.Dataset) -> dict[str, float]:
        """Mean loss and accuracy of the model in inference mode over the whole dataset."""
        loss_sum, correct, count = 0.0, 0, 0
        for x, y in dataset:
            batch_loss, batch_correct = self._eval_fn(x, y)
            loss_sum += float(batch_loss)
            correct += int(batch_correct)
            count += int(x.shape[0])
        return {"loss": loss_sum / count, "accuracy": correct / count}

    def _distributed_step(self) -> tuple[tf.Tensor, tf.Tensor]:
        x, y = next(self._iterator)
        if self.loss_scale is None:
            loss, correct = self._strategy.run(self._replica_step, args=(x, y))
        else:
            loss, correct = self._loss_scaled_step(x, y)
        return tuple(self._strategy.reduce(tf.distribute.ReduceOp.SUM, t, axis=None) for t in (loss, correct))

    def _distributed_steps(self, steps: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        loss_sum, correct_sum = tf.constant(0.0), tf.constant(0)
        for _ in tf.range(steps):
            loss, correct = self._distributed_step()
            loss_sum += loss
            correct_sum += correct
        return loss_sum, correct_sum

    def _replica_step(self, x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        if self._spec.jit_compile:
            # On the replica's own device: otherwise the compiled call lands on the first device,
            # away from the other replicas' variables.
            with tf.device(x.device):
                grads, loss, correct = self._jit_gradients(x, y)
        else:
            grads, loss, correct = self._accumulate(x, y)
        self._optimizer.apply_gradients(zip(grads, self._model.trainable_variables, strict=True))
        return loss, correct

    def _loss_scaled_step(self, x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Cross-replica: scaled gradients everywhere, applied only if finite on every replica."""
        grads, loss, correct, finite = self._strategy.run(self._unscaled_gradients, args=(x, y))
        finite = self._strategy.experimental_local_results(finite)[0]  # all-reduced: equal on every replica

        def apply() -> tf.Tensor:
            self._strategy.run(self._apply, args=(grads,))
            return tf.constant(True)

        tf.cond(finite, apply, lambda: tf.constant(False))
        self.loss_scale.update(finite)
        return loss, correct

    def _unscaled_gradients(
        self, x: tf.Tensor, y: tf.Tensor
    ) -> tuple[list[tf.Tensor], tf.Tensor, tf.Tensor, tf.Tensor]:
        scale = self.loss_scale.scale.read_value()
        grads, loss, correct = self._accumulate(x, y, scale)
        grads = [g / scale for g in grads]
        non_finite = tf.cast(tf.logical_not(all_finite(grads)), tf.int32)
        replicas_non_finite = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, non_finite)
        return grads, loss, correct, tf.equal(replicas_non_finite, 0)

    def _apply(self, grads: list[tf.Tensor]) -> None:
        self._optimizer.apply_gradients(zip(grads, self._model.trainable_variables, strict=True))

    def _accumulate(
        self, x: tf.Tensor, y: tf.Tensor, loss_scale: tf.Tensor | None = None
    ) -> tuple[list[tf.Tensor], tf.Tensor, tf.Tensor]:
        """Summed gradients, loss and correct count over this replica's micro-batches, run in sequence.

        With a loss_scale the gradients are those of the scaled loss; the loss is not scaled.
        """
        k, m = self._spec.accumulation_steps, self._spec.micro_batch_size
        if k == 1:
            return self._micro_step(x, y, loss_scale)
        variables = self._model.trainable_variables

        def body(i, loss, correct, *acc):
            grads, micro_loss, micro_correct = self._micro_step(
                x[i * m : (i + 1) * m], y[i * m : (i + 1) * m], loss_scale
            )
            return (
                i + 1,
                loss + micro_loss,
                correct + micro_correct,
                *[a + g for a, g in zip(acc, grads, strict=True)],
            )

        start = (tf.constant(0), tf.constant(0.0), tf.constant(0), *[tf.zeros(v.shape, v.dtype) for v in variables])
        # parallel_iterations=1: one micro-batch's activations are alive at a time, which is
        # the point of accumulating.
        _, loss, correct, *grads = tf.while_loop(lambda i, *_: i < k, body, start, parallel_iterations=1)
        return grads, loss, correct

    def _micro_step(
        self, x: tf.Tensor, y: tf.Tensor, loss_scale: tf.Tensor | None = None
    ) -> tuple[list[tf.Tensor], tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            probs = self._model(x, training=True)
            per_example = self._loss(y, probs)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=self._spec.global_batch_size)
            scaled = loss if loss_scale is None else loss * loss_scale
        grads = tape.gradient(scaled, self._model.trainable_variables)
        return grads, loss, _correct(y, probs)

    def _eval_batch(self, x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        probs = self._model(x, training=False)
        return tf.reduce_sum(self._loss(y, probs)), _correct(y, probs)


def _correct(y: tf.Tensor, probs: tf.Tensor) -> tf.Tensor:
    predicted = tf.argmax(probs, axis=-1, output_type=y.dtype)
    return tf.reduce_sum(tf.cast(tf.equal(predicted, y), tf.int32))


class TrainingLoop:
    """Runs a Trainer for a step budget, timing every call and evaluating after every epoch.

    Drive it with run(), or call before_step() (untimed bookkeeping) and step() (one timed
    call) yourself, as the pytest-benchmark suite does, then finish(). A call runs
    steps_per_execution optimizer steps, fewer where an epoch, a target check or the budget ends
    first; a call that starts before warmup_steps steps are done is warm-up and not timed.
    With a target_accuracy, the test accuracy is also checked every target_check_steps steps
    (in before_step, untimed) until it first reaches the target; target_reached_at_step and
    target_reached_after_s then say when (steps done, train_seconds then); with stop_at_target,
    run() stops there.
    """

    def __init__(
        self,
        *,
        trainer: Trainer,
        test_data: tf.data.Dataset,
        steps_per_epoch: int,
        total_steps: int,
        warmup_steps: int,
        global_batch_size: int,
        on_epoch: Callable[[EpochRecord], None] | None = None,
        target_accuracy: float | None = None,
        target_check_steps: int | None = None,
        stop_at_target: bool = False,
        between_steps: Callable[[int], None] | None = None,
        steps_per_execution: int = 1,
        check: Callable[[], None] | None = None,
    ) -> None:
        """between_steps(steps_done), if given, runs untimed before every step (e.g. a probe)."""
        self._trainer = trainer
        self._steps_per_execution = steps_per_execution
        self._check = check
        self._test_data = test_data
        self._steps_per_epoch = steps_per_epoch
        self.total_steps = total_steps
        self.warmup_steps = warmup_steps
        self._global_batch_size = global_batch_size
        self._on_epoch = on_epoch
        self._between_steps = [between_steps] if between_steps is not None else []
        self.steps_done = 0
        self.diverged_at_step: int | None = None
        # One entry per timed call: its duration divided by its optimizer steps.
        self.step_times_s: list[float] = []
        self.timed_steps = 0
        self.timed_s = 0.0
        self.history: list[EpochRecord] = []
        self.train_seconds = 0.0
        self._target_accuracy = target_accuracy
        self._target_check_steps = target_check_steps
        self._stop_at_target = stop_at_target
        self.target_reached_at_step: int | None = None
        self.target_reached_after_s: float | None = None
        self._epoch_loss = self._epoch_correct = self._epoch_time = 0.0
        self._epoch_steps = self._epoch_timed_steps = 0

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
        if self._check is not None:
            self._check()
        if self._epoch_steps and self.steps_done % self._steps_per_epoch == 0:
            self._end_epoch()
        elif self._target_check_due():
            self._check_target(self._trainer.evaluate(self._test_data)["accuracy"])
        for action in self._between_steps:
            action(self.steps_done)

    def _target_check_due(self) -> bool:
        every = self._target_check_steps
        pending = self._target_accuracy is not None and self.target_reached_at_step is None
        return pending and every is not None and self.steps_done > 0 and self.steps_done % every == 0

    def _check_target(self, test_accuracy: float) -> None:
        if self._target_accuracy is None or self.target_reached_at_step is not None:
            return
        if test_accuracy >= self._target_accuracy:
            self.target_reached_at_step = self.steps_done
            self.target_reached_after_s = self.train_seconds

    def step(self) -> float:
        """One call of the training step, timed from dispatch until the devices finish; returns its mean loss."""
        steps = self._call_steps(self.steps_done)
        timed = self.steps_done >= self.warmup_steps
        start = time.perf_counter()
        # A single step is called as step(), the interface every trainer (and test double) has.
        loss, accuracy = self._trainer.step(steps) if steps > 1 else self._trainer.step()
        elapsed = time.perf_counter() - start
        self.steps_done += steps
        self.train_seconds += elapsed
        if timed:
            self.step_times_s.append(elapsed / steps)
            self.timed_steps += steps
            self.timed_s += elapsed
            self._epoch_time += elapsed
            self._epoch_timed_steps += steps
        if not math.isfinite(loss) and self.diverged_at_step is None:
            self.diverged_at_step = self.steps_done
        self._epoch_loss += loss * steps
        self._epoch_correct += accuracy * steps
        self._epoch_steps += steps
        return loss

    def planned_calls(self) -> tuple[int, int]:
        """(warm-up calls, timed calls) that the remaining budget takes."""
        warmup = timed = 0
        done = self.steps_done
        while done < self.total_steps:
            if done < self.warmup_steps:
                warmup += 1
            else:
                timed += 1
            done += self._call_steps(done)
        return warmup, timed

    @property
    def examples_per_sec(self) -> float | None:
        return self.timed_steps * self._global_batch_size / self.timed_s if self.timed_s > 0 else None

    def _call_steps(self, done: int) -> int:
        """Steps of the call starting after `done`: it ends at an epoch's end and at a target check."""
        to_epoch_end = self._steps_per_epoch - done % self._steps_per_epoch
        steps = min(self._steps_per_execution, to_epoch_end, self.total_steps - done)
        if self._target_check_steps:
            steps = min(steps, self._target_check_steps - done % self._target_check_steps)
        return max(1, steps)

    def run(self) -> None:
        """The remaining steps, stopping early at a non-finite loss (or at the target if asked), then finish()."""
        while self.steps_remaining and self.diverged_at_step is None:
            self.before_step()
            if self._stop_at_target and self.target_reached_at_step is not None:
                break
            self.step()
        self.finish()

    def finish(self) -> None:
        """Checks the last step as before_step() does, then ends the last epoch."""
        if self._check is not None:
            self._check()
        if self._epoch_steps:
            self._end_epoch()

    def _end_epoch(self) -> None:
        test = self._trainer.evaluate(self._test_data)
        n = self._epoch_steps
        record = EpochRecord(
            epoch=len(self.history) + 1,
            steps=self.steps_done,
            train_loss=self._epoch_loss / n,
            train_accuracy=self._epoch_correct / n,
            test_loss=test["loss"],
            test_accuracy=test["accuracy"],
            examples_per_sec=self._epoch_timed_steps * self._global_batch_size / self._epoch_time
            if self._epoch_timed_steps
            else None,
            train_seconds=self.train_seconds,
        )
        self.history.append(record)
        self._check_target(record.test_accuracy)
        self._epoch_loss = self._epoch_correct = self._epoch_time = 0.0
        self._epoch_steps = self._epoch_timed_steps = 0
        if self._on_epoch is not None:
            self._on_epoch(record)
