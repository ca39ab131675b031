"""Reads CIFAR-10 and CIFAR-100 in their original pickled batch format, with an unpickler that runs no code.

The format (the "python version" of both sets, as keras.datasets unpacks it): a folder
cifar-10-batches-py with data_batch_1 ... data_batch_5 and test_batch, or a folder
cifar-100-python with train and test. Each file is one pickled dict with bytes keys; b'data' is a
uint8 numpy array of N x 3072 (3 x 32 x 32, channels first) and b'labels' (CIFAR-10) or
b'fine_labels' (CIFAR-100) a list of N class indices. Unpickling a numpy array needs exactly
three globals — numpy.ndarray, numpy.dtype and multiarray._reconstruct — so the unpickler hands
out those three and refuses every other one: a data file cannot run code (os.system, eval, ...).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

# Where keras.datasets.cifar10/cifar100.load_data() leave the batches, under the Keras cache.
CACHE_FOLDERS = {
    "cifar10": ("cifar-10-batches-py-target/cifar-10-batches-py", "cifar-10-batches-py"),
    "cifar100": ("cifar-100-python-target/cifar-100-python", "cifar-100-python"),
}
BATCH_FILES = {
    "cifar10": {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]},
    "cifar100": {"train": ["train"], "test": ["test"]},
}
LABEL_KEYS = {"cifar10": b"labels", "cifar100": b"fine_labels"}
NUM_CLASSES = {"cifar10": 10, "cifar100": 100}
IMAGE_SHAPE = (32, 32, 3)

_NUMPY_GLOBALS = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    # Files written under numpy < 2 name the module numpy.core, under numpy >= 2 numpy._core.
    ("numpy.core.multiarray", "_reconstruct"): np._core.multiarray._reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): np._core.multiarray._reconstruct,
}


class ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, bytes, numbers and numpy arrays; any other global is refused."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) in _NUMPY_GLOBALS:
            return _NUMPY_GLOBALS[(module, name)]
        raise pickle.UnpicklingError(f"it asks for {module}.{name}, and a CIFAR batch holds only numpy arrays")


def read_batch(path: Path, label_key: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The images (N, 32, 32, 3) uint8 and labels (N,) of one batch file.

    Raises:
      ValueError: naming the file, when it is not a CIFAR batch or asks to run code.
    """
    try:
        with open(path, "rb") as f:
            batch = ArraysOnlyUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as error:
        raise ValueError(f"data file {path} is not a CIFAR batch (refused: {error})") from None
    if not isinstance(batch, dict) or b"data" not in batch or label_key not in batch:
        raise ValueError(f"data file {path} is not a CIFAR batch: it lacks b'data' or {label_key!r}")
    images, labels = batch[b"data"], np.asarray(batch[label_key])
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 2 or images.shape[1] != 3072:
        shape, dtype = getattr(images, "shape", None), getattr(images, "dtype", type(images).__name__)
        raise ValueError(f"data file {path}: b'data' is {dtype} of shape {shape}; a CIFAR batch holds uint8 (N, 3072)")
    return images.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def find_folder(name: str, data_path: str | None, cache: Path) -> Path:
    """The folder holding the batch files: data_path, or the Keras cache's.

    Raises:
      FileNotFoundError: naming where the batches were looked for and how to get them.
    """
    candidates = [Path(data_path).expanduser()] if data_path else [cache / sub for sub in CACHE_FOLDERS[name]]
    for folder in candidates:
        if folder.is_dir():
            return folder
    first = BATCH_FILES[name]["train"][0]
    raise FileNotFoundError(
        f"dataset={name!r}: no folder of CIFAR batches at {' or '.join(map(str, candidates))}; "
        f"keras.datasets.{name}.load_data() leaves one there on a machine with internet, "
        f"or pass data_path (--data-path) to the folder that holds {first}"
    )


def read(name: str, folder: Path) -> dict[str, np.ndarray]:
    """x_train, y_train, x_test, y_test of a CIFAR folder, as stored (uint8 images, int labels).

    Raises:
      FileNotFoundError: a batch file is missing.
      ValueError: a batch file is not in the format.
    """
    arrays = {}
    for split, files in BATCH_FILES[name].items():
        parts = []
        for filename in files:
            path = folder / filename
            if not path.is_file():
                raise FileNotFoundError(f"dataset={name!r}: {path} is missing; the folder needs {', '.join(files)}")
            parts.append(read_batch(path, LABEL_KEYS[name]))
        arrays[f"x_{split}"] = np.concatenate([images for images, _ in parts])
        arrays[f"y_{split}"] = np.concatenate([labels for _, labels in parts])
    return arrays
