"""A cheap sharpness probe: the largest loss increase under small random weight perturbations.

Keskar et al. 2017 ("On Large-Batch Training for Deep Learning: Generalization Gap and Sharp
Minima") measure sharpness as the largest relative rise of the training loss f within the box
C_eps = {y : |y_i| <= eps (|x_i| + 1)} around the trained weights x:

    sharpness = 100 * (max_{y in C_eps} f(x + y) - f(x)) / (1 + f(x))

They find the maximum with L-BFGS-B. This probe is the cheap version: it evaluates f at
`samples` random corners of the box (y_i = +-eps (|x_i| + 1), signs drawn at random) and takes
the largest, so it is a lower bound of their figure — comparable across configurations probed
with the same samples and eps, not equal to the paper's numbers. Only trainable weights move;
the weights are restored afterwards.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np


def random_corner(weights: list[np.ndarray], epsilon: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Each weight moved to a random corner of its box: x_i +- eps (|x_i| + 1)."""
    return [(w + rng.choice((-1.0, 1.0), size=w.shape) * epsilon * (np.abs(w) + 1.0)).astype(w.dtype) for w in weights]


def relative_increase(base_loss: float, perturbed_losses: list[float]) -> float:
    """Keskar's metric from the losses: 100 * (max perturbed - base) / (1 + base)."""
    return 100.0 * (max(perturbed_losses) - base_loss) / (1.0 + base_loss)


def probe(model: keras.Model, loss: Callable[[], float], *, samples: int, epsilon: float, seed: int) -> float:
    """Sharpness of model's current weights; loss() evaluates the training loss (inference mode).

    Raises:
      ValueError: samples < 1.
    """
    if samples < 1:
        raise ValueError(f"samples={samples!r} is not allowed: a whole number >= 1")
    variables = model.trainable_variables
    trained = [np.array(v.numpy()) for v in variables]
    rng = np.random.default_rng(seed)
    base = loss()
    perturbed = []
    try:
        for _ in range(samples):
            for variable, value in zip(variables, random_corner(trained, epsilon, rng), strict=True):
                variable.assign(value)
            perturbed.append(loss())
    finally:
        for variable, value in zip(variables, trained, strict=True):
            variable.assign(value)
    return relative_increase(base, perturbed)
