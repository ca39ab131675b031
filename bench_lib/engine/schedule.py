"""The learning-rate schedule a RunSpec asks for: batch-size scaling with a linear warm-up.

Goyal et al. 2017 ("Accurate, Large Minibatch SGD"): when the batch grows k-fold from a base
batch at which the learning rate eta was chosen, use k * eta (linear scaling); reach it by
gradual warm-up, starting from eta and adding a constant amount every step so that k * eta is
reached after the warm-up epochs. `sqrt` scaling uses sqrt(k) * eta instead (the rule often
suggested for Adam). Step t counts optimizer steps from 0: the first update uses the rate at
t = 0, which is eta, and every update from t = warmup_steps on uses the scaled rate.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from bench_lib.config.spec import RunSpec


def warmup_steps_of(spec: RunSpec, steps_per_epoch: int) -> int:
    """The warm-up length in optimizer steps: warmup_epochs x steps_per_epoch, rounded up."""
    return math.ceil(spec.warmup_epochs * steps_per_epoch)


def learning_rate_at(step: int, *, base: float, scaled: float, warmup_steps: int) -> float:
    """The documented rate of optimizer step `step` (0-based): base + (scaled - base) * min(step, W) / W."""
    if warmup_steps <= 0 or step >= warmup_steps:
        return scaled
    return base + (scaled - base) * step / warmup_steps


@keras.saving.register_keras_serializable(package="tfbench")
class WarmupSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """learning_rate_at as a Keras schedule, evaluated on the optimizer's step counter."""

    def __init__(self, *, base: float, scaled: float, warmup_steps: int) -> None:
        self.base = float(base)
        self.scaled = float(scaled)
        self.warmup_steps = int(warmup_steps)

    def __call__(self, step):
        if self.warmup_steps <= 0:
            return tf.constant(self.scaled, tf.float32)
        progress = tf.minimum(tf.cast(step, tf.float32) / self.warmup_steps, 1.0)
        return self.base + (self.scaled - self.base) * progress

    def get_config(self) -> dict[str, object]:
        return {"base": self.base, "scaled": self.scaled, "warmup_steps": self.warmup_steps}


def learning_rate(spec: RunSpec, steps_per_epoch: int) -> float | WarmupSchedule:
    """What to pass the optimizer as learning_rate: a number without warm-up, else a WarmupSchedule."""
    warmup = warmup_steps_of(spec, steps_per_epoch)
    if warmup == 0:
        return spec.scaled_learning_rate
    return WarmupSchedule(base=spec.effective_learning_rate, scaled=spec.scaled_learning_rate, warmup_steps=warmup)
