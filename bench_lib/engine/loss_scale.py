"""Dynamic loss scaling for float16 training in our own distributed step.

float16 gradients of small losses underflow to zero; multiplying the loss by a large scale
before backpropagation and dividing the gradients by it afterwards keeps them representable.
Too large a scale overflows to inf instead, so the scale adapts (Micikevicius et al. 2018):
a step whose gradients are not all finite on every replica is skipped and the scale halved;
after `growth_interval` finite steps in a row the scale doubles.

Why not keras.optimizers.LossScaleOptimizer: under MirroredStrategy (which uses merge_call)
it decides finiteness from the first replica's *local* gradients only, so an inf on another
replica reaches the all-reduced update; and it cannot see gradients we accumulate ourselves
before apply. Here finiteness is all-reduced across replicas before anything is applied.
"""

from __future__ import annotations

import tensorflow as tf


class DynamicLossScale:
    """The scale and its bookkeeping, as variables; create it inside strategy.scope().

    update() runs in cross-replica context (outside strategy.run), where an assignment sets
    every replica's copy alike.
    """

    def __init__(self, *, initial_scale: float = 2.0**15, growth_interval: int = 2000) -> None:
        if not initial_scale >= 1 or growth_interval < 1:
            raise ValueError(
                f"initial_scale={initial_scale!r}, growth_interval={growth_interval!r} are not allowed: "
                "a scale >= 1 and a whole number of steps >= 1"
            )
        self.growth_interval = growth_interval
        self.scale = tf.Variable(float(initial_scale), trainable=False, dtype=tf.float32, name="loss_scale")
        self.good_steps = tf.Variable(0, trainable=False, dtype=tf.int64, name="loss_scale_good_steps")
        self.skipped_steps = tf.Variable(0, trainable=False, dtype=tf.int64, name="loss_scale_skipped_steps")

    @property
    def variables(self) -> tuple[tf.Variable, ...]:
        return (self.scale, self.good_steps, self.skipped_steps)

    def update(self, finite: tf.Tensor) -> None:
        """After a step: grow the scale after growth_interval finite steps; halve it (not below 1) after a skip."""

        def grew() -> None:
            grow = self.good_steps + 1 >= self.growth_interval
            self.scale.assign(tf.where(grow, self.scale * 2.0, self.scale))
            self.good_steps.assign(tf.where(grow, tf.constant(0, tf.int64), self.good_steps + 1))

        def shrank() -> None:
            self.scale.assign(tf.maximum(self.scale / 2.0, 1.0))
            self.good_steps.assign(0)
            self.skipped_steps.assign_add(1)

        tf.cond(finite, grew, shrank)


def all_finite(grads: list[tf.Tensor]) -> tf.Tensor:
    """True when every element of every gradient is finite (a boolean scalar)."""
    return tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads])
