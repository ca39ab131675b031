"""One point of a learning curve, as training records it and saved runs hold it; no TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EpochRecord:
    """One point of the learning curve.

    train_loss and train_accuracy are running means over the epoch's steps (training mode,
    as Keras reports them); test figures are measured in inference mode after the epoch;
    examples_per_sec covers the epoch's timed steps (None if all were warm-up); train_seconds
    is the summed time of every step so far, warm-up included, evaluation excluded.
    """

    epoch: int
    steps: int
    train_loss: float
    train_accuracy: float
    test_loss: float | None  # None where nothing is evaluated (synthetic data: random labels)
    test_accuracy: float | None
    examples_per_sec: float | None
    train_seconds: float = 0.0
