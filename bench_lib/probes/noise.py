"""Measures squared gradient norms at two batch sizes during training, for the noise scale.

A measurement draws big_batch_size training examples without replacement, splits them into
big/small chunks of small_batch_size, and computes each chunk's mean-loss gradient g_i in
training mode (dropout and BN as the optimizer sees them). Then |G_small|² is the mean of
|g_i|² over the chunks and |G_big|² is |mean_i g_i|², the big batch's own gradient: one
forward/backward over big_batch_size examples yields both, and using every chunk lowers the
variance of |G_small|². Measuring changes nothing: the model's non-trainable state (BN moving
statistics, dropout seed state) is restored afterwards and no update is applied.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf


class GradientNoiseProbe:
    """Squared gradient norms of one model at two batch sizes on one training set."""

    def __init__(
        self,
        *,
        model: keras.Model,
        per_example_loss: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
        x_train: np.ndarray,
        y_train: np.ndarray,
        small_batch_size: int,
        big_batch_size: int,
        seed: int,
        loss_scale: Callable[[], float] | None = None,
    ) -> None:
        """loss_scale, if given, returns the factor to scale the loss by before backpropagation
        (float16's dynamic loss scale), so small gradients do not underflow; norms are unscaled.

        Raises:
        ValueError: big_batch_size exceeds the training set or is not a multiple of small_batch_size.
        """
        check_batch_sizes(small_batch_size, big_batch_size, len(x_train))
        self._model = model
        self._loss = per_example_loss
        self._x, self._y = x_train, y_train
        self.small_batch_size, self.big_batch_size = small_batch_size, big_batch_size
        self._rng = np.random.default_rng(seed)
        self._loss_scale = loss_scale
        self._norms_fn = tf.function(functools.partial(self._norms))
        self.norms_sq: list[tuple[float, float]] = []

    def measure(self) -> tuple[float, float]:
        """One (|G_small|², |G_big|²) pair, also appended to norms_sq."""
        index = self._rng.choice(len(self._x), self.big_batch_size, replace=False)
        state = [v.numpy() for v in self._model.non_trainable_variables]
        scale = tf.constant(self._loss_scale() if self._loss_scale is not None else 1.0, tf.float32)
        small, big = self._norms_fn(tf.constant(self._x[index]), tf.constant(self._y[index]), scale)
        for variable, value in zip(self._model.non_trainable_variables, state, strict=True):
            variable.assign(value)
        pair = (float(small), float(big))
        self.norms_sq.append(pair)
        return pair

    def _norms(self, x: tf.Tensor, y: tf.Tensor, scale: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        chunks = self.big_batch_size // self.small_batch_size
        b = self.small_batch_size
        variables = self._model.trainable_variables

        def body(i, small_sum, *grad_sum):
            with tf.GradientTape() as tape:
                probs = self._model(x[i * b : (i + 1) * b], training=True)
                loss = tf.reduce_mean(tf.cast(self._loss(y[i * b : (i + 1) * b], probs), tf.float32)) * scale
            grads = [tf.cast(g, tf.float32) / scale for g in tape.gradient(loss, variables)]
            return (i + 1, small_sum + _norm_sq(grads), *[s + g for s, g in zip(grad_sum, grads, strict=True)])

        start = (tf.constant(0), tf.constant(0.0), *[tf.zeros(v.shape, tf.float32) for v in variables])
        _, small_sum, *grad_sum = tf.while_loop(lambda i, *_: i < chunks, body, start, parallel_iterations=1)
        return small_sum / chunks, _norm_sq([g / chunks for g in grad_sum])


def check_batch_sizes(small_batch_size: int, big_batch_size: int, train_examples: int) -> None:
    """Raises:
    ValueError: big_batch_size exceeds train_examples or is not a multiple of small_batch_size.
    """
    if big_batch_size > train_examples or big_batch_size % small_batch_size:
        raise ValueError(
            f"noise_scale_batch_sizes=({small_batch_size}, {big_batch_size}) is not allowed: the big batch must "
            f"be a multiple of the small one and at most the {train_examples} training examples"
        )


def _norm_sq(tensors: list[tf.Tensor]) -> tf.Tensor:
    return tf.add_n([tf.reduce_sum(tf.square(t)) for t in tensors])
