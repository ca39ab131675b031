"""Declares the datasets a RunSpec can name, what input each gives, and checks the dataset and data_path fields.

Besides the built-in names, `tfds:NAME` names any image or text classification set prepared by
TensorFlow Datasets in a local data directory (bench_lib/engine/tfds_data.py reads it). Whether
such a set holds images or text is written in its files, which only the loader opens; so a spec
accepts `tfds:NAME` with a model of either input kind, and the loader checks the pair before any
training. Everything here is plain data and string checks, importable without TensorFlow.
"""

from __future__ import annotations

import re

from bench_lib.config.checks import check_choice
from bench_lib.config.refusal import fail

DATASETS = ("digits", "mnist", "fashion_mnist", "mnist_5k", "cifar10", "cifar100", "synthetic")
TFDS_PREFIX = "tfds:"
# How `tfds:NAME` reads in messages and in DATASET_INPUT_KINDS.
TFDS_ANY = "tfds:NAME"
# What each dataset can give a model (the input kinds of bench_lib/config/models.py): synthetic
# data is generated at the model's own shape, of either kind; a TFDS set gives what its files hold.
DATASET_INPUT_KINDS = (
    {name: ("images",) for name in DATASETS} | {"synthetic": ("images", "tokens")} | {TFDS_ANY: ("images", "tokens")}
)
# The shape of one image of each built-in dataset of images (synthetic takes the model's shape).
IMAGE_SHAPES = {
    "digits": (8, 8, 1),
    "mnist": (28, 28, 1),
    "fashion_mnist": (28, 28, 1),
    "mnist_5k": (28, 28, 1),
    "cifar10": (32, 32, 3),
    "cifar100": (32, 32, 3),
}
# The datasets read from files: the Keras cache (TFDS's data directory for tfds:NAME) by default, or data_path.
FILE_DATASETS = ("mnist", "fashion_mnist", "cifar10", "cifar100", TFDS_ANY)
# A TFDS dataset name, optionally with a config and a version: imdb_reviews, imdb_reviews/plain_text:1.0.0.
_TFDS_NAME = re.compile(r"^[a-z][a-z0-9_]*(/[A-Za-z0-9_.+-]+)?(:\d+\.\d+\.\d+)?$")


def tfds_name(dataset: str) -> str | None:
    """NAME of a `tfds:NAME` dataset, or None for a built-in one."""
    return dataset[len(TFDS_PREFIX) :] if dataset.startswith(TFDS_PREFIX) else None


def kinds(dataset: str) -> tuple[str, ...]:
    """The input kinds a (valid) dataset name can give: images, tokens or either."""
    return DATASET_INPUT_KINDS[TFDS_ANY if tfds_name(dataset) is not None else dataset]


def check_dataset(dataset: object, data_path: object) -> None:
    """dataset is a built-in name or tfds:NAME, and data_path is None or a path for a dataset read from files.

    Raises:
      ValueError: naming the field, its value and what is allowed.
    """
    if isinstance(dataset, str) and dataset.startswith(TFDS_PREFIX):
        if not _TFDS_NAME.match(tfds_name(dataset)):
            fail(
                "dataset",
                dataset,
                "tfds: takes a TensorFlow Datasets name in lower case, optionally with /config and :version, "
                "e.g. tfds:cifar10 or tfds:imdb_reviews/plain_text:1.0.0",
            )
    else:
        check_choice("dataset", dataset, (*DATASETS, TFDS_ANY))
    if data_path is None:
        return
    if not isinstance(data_path, str) or not data_path:
        fail("data_path", data_path, "a file or folder path as a non-empty string, or None")
    if not (dataset in FILE_DATASETS or tfds_name(dataset) is not None):
        fail("data_path", data_path, "only for dataset=" + " or ".join(map(repr, FILE_DATASETS)))
