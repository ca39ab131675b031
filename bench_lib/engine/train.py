"""The training step and the evaluation, identical under every strategy (the loop of steps is in loop.py).

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
import time

import keras
import tensorflow as tf

from bench_lib.config.spec import RunSpec
from bench_lib.engine.loss_scale import DynamicLossScale, all_finite


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
        # reads the iterator it captures: taking it as an argument would cost every call the
        # argument handling of a distributed iterator.
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

    def trace(self) -> float:
        """Traces the training step the loop will call, without running it; returns the seconds it took."""
        start = time.perf_counter()
        if self._spec.steps_per_execution == 1:
            self._train_fn.get_concrete_function()
        else:
            self._multi_fn.get_concrete_function(tf.TensorSpec([], tf.int32))
        return time.perf_counter() - start

    def traced_graph(self) -> tf.Graph:
        """The graph of the training step the loop calls, as trace() traced it (traced now if it was not)."""
        if self._spec.steps_per_execution == 1:
            return self._train_fn.get_concrete_function().graph
        return self._multi_fn.get_concrete_function(tf.TensorSpec([], tf.int32)).graph

    @property
    def train_traces(self) -> int:
        """How often the training step was traced (a graph built); constant after the first call."""
        return sum(f.experimental_get_tracing_count() for f in (self._train_fn, self._multi_fn))

    def evaluate(self, dataset: tf.data.Dataset) -> dict[str, float]:
        """Mean loss and accuracy of the model in inference mode over the whole dataset."""
        # Any batch size: one trace serves the full batches and the shorter last one, of every set.
        any_batch = [tf.TensorSpec([None, *s.shape[1:]], s.dtype) for s in dataset.element_spec]
        eval_fn = self._eval_fn.get_concrete_function(*any_batch)
        loss_sum, correct, count = 0.0, 0, 0
        for x, y in dataset:
            batch_loss, batch_correct = eval_fn(x, y)
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
