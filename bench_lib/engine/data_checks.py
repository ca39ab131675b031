"""Checks the arrays read from a data file before any training: shape, dtype, finite values, labels and classes.

Every problem is one ValueError line that names the file and what is wrong with it, so a bad
file stops a run before TensorFlow does any work instead of training on nonsense or failing
mid-step.
"""

from __future__ import annotations

import numpy as np

SPLITS = ("train", "test")


def check(source: str, arrays: dict[str, np.ndarray], *, example_shape: tuple[int, ...], num_classes: int) -> None:
    """x_train, y_train, x_test, y_test hold examples of example_shape and labels in [0, num_classes).

    source names the file (or folder) the arrays came from. Images may be any real or integer
    dtype, with no NaN or infinite value; labels must be whole numbers.

    Raises:
      ValueError: naming source, the array and the problem.
    """
    for split in SPLITS:
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        expected = "(N, " + ", ".join(map(str, example_shape)) + ")"
        if x.dtype.kind not in "uif":
            _fail(source, f"x_{split} holds {x.dtype} values; it needs numbers")
        if tuple(x.shape[1:]) != tuple(example_shape) or not len(x):
            _fail(source, f"x_{split} has shape {x.shape}; it needs {expected} with N >= 1")
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            index = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
            _fail(source, f"x_{split} holds {x[index]} at index {index}; every value must be a finite number")
        if y.dtype.kind not in "iu" and not (y.dtype.kind == "f" and np.array_equal(y, np.round(y))):
            _fail(source, f"y_{split} holds {y.dtype} values; it needs whole-number class indices")
        if y.shape != (len(x),):
            _fail(source, f"y_{split} has shape {y.shape}; it needs ({len(x)},), one label per example of x_{split}")
        if y.min() < 0 or y.max() >= num_classes:
            _fail(
                source,
                f"y_{split} has labels from {y.min():g} to {y.max():g}; "
                f"this dataset has {num_classes} classes, labels 0 to {num_classes - 1}",
            )


def _fail(source: str, problem: str) -> None:
    raise ValueError(f"data file {source}: {problem}")
