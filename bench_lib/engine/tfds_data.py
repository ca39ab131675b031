"""Reads an image or text classification set prepared by TensorFlow Datasets in a local data directory.

`dataset='tfds:NAME'` is read with tfds.builder(NAME, data_dir=...) and builder.as_dataset from
data_path (--data-path) or TFDS's own default, $TFDS_DATA_DIR or ~/tensorflow_datasets;
download_and_prepare is never called, so a set that is not there stops the run with one line
naming the directory, and nothing is downloaded. The input and label are the builder's
supervised_keys, or else its one Image or Text feature beside a ClassLabel feature 'label'; the
sets are its train and test splits (validation when there is no test split).

Images must have a fixed shape; they are scaled from uint8 to float32 in [0, 1]. Text is turned
into token ids by a keras.layers.TextVectorization adapted on the training split: lower-cased,
punctuation stripped, split on whitespace, the TEXT_VOCABULARY_SIZE - 2 most frequent words of the
training split numbered from 2 (0 pads, 1 stands for any other word), and every text cut or padded
to the model's sequence length. Whether the set's kind suits the model is checked from the
builder's metadata, before any example is read.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from bench_lib.config import datasets, models
from bench_lib.config.spec import RunSpec
from bench_lib.engine import data_checks

# The tokenizer's vocabulary, padding and unknown-word ids included; below models.VOCABULARY_SIZE,
# the number of ids every token model embeds.
TEXT_VOCABULARY_SIZE = 20_000
# For a token model that declares no sequence length of its own.
TEXT_SEQUENCE_LENGTH = 128
TEST_SPLITS = ("test", "validation")


def data_dir(spec: RunSpec) -> Path:
    """Where the TFDS set is looked for: data_path, else $TFDS_DATA_DIR, else ~/tensorflow_datasets."""
    default = os.environ.get("TFDS_DATA_DIR", "~/tensorflow_datasets")
    return Path(spec.data_path or default).expanduser()


def read(spec: RunSpec) -> tuple[dict[str, np.ndarray], int]:
    """x_train, y_train, x_test, y_test of the spec's tfds:NAME set, ready to train on, and its number of classes.

    Raises:
      FileNotFoundError: tensorflow-datasets is not installed, or the set is not prepared in the data directory.
      ValueError: the set is no image or text classification set, does not suit the model, or its
        files do not hold what its metadata declares (naming the directory and the problem).
    """
    builder = _prepared_builder(spec)
    input_key, label_key = _feature_keys(spec, builder.info.features, builder.info.supervised_keys)
    input_feature, source = builder.info.features[input_key], str(builder.data_dir)
    kind = _kind(input_feature)
    _check_model_takes(spec, kind)
    num_classes = builder.info.features[label_key].num_classes
    arrays = {}
    for split, name in zip(data_checks.SPLITS, _splits(builder), strict=True):
        arrays[f"x_{split}"], arrays[f"y_{split}"] = _read_split(builder, name, input_key, label_key)
    if kind == "images":
        data_checks.check(source, arrays, example_shape=input_feature.shape, num_classes=num_classes)
        arrays["x_train"], arrays["x_test"] = (arrays[x].astype(np.float32) / 255.0 for x in ("x_train", "x_test"))
    else:
        length = _sequence_length(spec)
        arrays["x_train"], arrays["x_test"] = tokenized(arrays["x_train"], arrays["x_test"], length)
        data_checks.check(source, arrays, example_shape=(length,), num_classes=num_classes)
    arrays["y_train"], arrays["y_test"] = arrays["y_train"].astype(np.int32), arrays["y_test"].astype(np.int32)
    return arrays, num_classes


def tokenized(train_texts: np.ndarray, test_texts: np.ndarray, sequence_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Both sets of texts as int32 token ids (N, sequence_length), by a vocabulary of the training texts only."""
    vectorizer = keras.layers.TextVectorization(
        max_tokens=TEXT_VOCABULARY_SIZE, output_sequence_length=sequence_length, output_mode="int"
    )
    vectorizer.adapt(tf.constant(train_texts))
    return tuple(vectorizer(tf.constant(texts)).numpy().astype(np.int32) for texts in (train_texts, test_texts))


def _tfds():
    """The tensorflow_datasets module, imported only for a tfds: set.

    Raises:
      FileNotFoundError: the package is not installed; the message says how to install it.
    """
    try:
        import tensorflow_datasets
    except ImportError:
        raise FileNotFoundError(
            "a tfds: dataset needs the tensorflow-datasets package, which is not installed: "
            "pip install 'tfbench[tfds]' (in a clone: pip install -e '.[tfds]')"
        ) from None
    return tensorflow_datasets


def _prepared_builder(spec: RunSpec):
    """The TFDS builder of the spec's set, prepared in the data directory; nothing is downloaded.

    Raises:
      FileNotFoundError: naming the data directory and the set, when it is not there.
    """
    tfds, name, folder = _tfds(), datasets.tfds_name(spec.dataset), data_dir(spec)
    # TFDS logs a warning for each folder it finds no prepared set in; the error below says it in one line.
    absl_logger = logging.getLogger("absl")
    level = absl_logger.level
    absl_logger.setLevel(logging.ERROR)
    try:
        builder = tfds.builder(name, data_dir=str(folder))
        prepared = builder.is_prepared()
    except tfds.core.DatasetNotFoundError:
        prepared = False
    finally:
        absl_logger.setLevel(level)
    if not prepared:
        raise FileNotFoundError(
            f"dataset={spec.dataset!r}: TensorFlow Datasets has no prepared {name!r} in the data directory {folder}; "
            f"prepare it there on a machine with internet (tfds build {name} --data_dir {folder}) and copy it over, "
            "or pass data_path (--data-path) to the data directory that holds it"
        )
    return builder


def _kind(feature) -> str | None:
    """The model input kind a TFDS feature gives: images (fixed-shape uint8 Image), tokens (plain Text), or None."""
    features = _tfds().features
    if isinstance(feature, features.Image) and None not in feature.shape and feature.np_dtype == np.uint8:
        return "images"
    if isinstance(feature, features.Text) and feature.encoder is None:
        return "tokens"
    return None


def _feature_keys(spec: RunSpec, features, supervised_keys) -> tuple[str, str]:
    """The (input, label) feature names: the supervised keys, or the one Image or Text feature and 'label'.

    Raises:
      ValueError: naming the set and its features, when it is no image or text classification set.
    """
    keys = supervised_keys
    if not (isinstance(keys, tuple) and len(keys) == 2 and all(isinstance(k, str) for k in keys)):
        inputs = [key for key, feature in features.items() if _kind(feature)]
        keys = (inputs[0], "label") if len(inputs) == 1 and "label" in features else None
    if keys is None or not _kind(features[keys[0]]) or not isinstance(features[keys[1]], _tfds().features.ClassLabel):
        described = ", ".join(f"{key} ({type(feature).__name__})" for key, feature in features.items())
        raise ValueError(
            f"dataset={spec.dataset!r} is not allowed: its features are {described}; tfds: reads classification "
            "sets of fixed-shape uint8 images or plain text (an Image or Text input and a ClassLabel label)"
        )
    return keys


def _check_model_takes(spec: RunSpec, kind: str) -> None:
    """Raises ValueError naming the dataset, what it gives and the models that take it, when the model does not."""
    model = models.declared(spec.model)
    if model.input_kind != kind:
        suitable = [name for name in models.names() if models.declared(name).input_kind == kind]
        raise ValueError(
            f"dataset={spec.dataset!r} is not allowed with model={spec.model!r}: it gives {kind} and the model "
            f"takes {model.input_kind}; models of {kind}: {', '.join(suitable)}"
        )


def _splits(builder) -> tuple[str, str]:
    """The TFDS splits to train and to evaluate on: train, and test (validation when there is no test).

    Raises:
      ValueError: naming the directory and its splits, when one of the two is missing.
    """
    splits = builder.info.splits
    test = next((name for name in TEST_SPLITS if name in splits), None)
    if "train" not in splits or test is None:
        have = ", ".join(splits) or "none"
        raise ValueError(f"data file {builder.data_dir}: its splits are {have}; it needs train and test or validation")
    return "train", test


def _sequence_length(spec: RunSpec) -> int:
    shape = models.declared(spec.model).input_shape
    return shape[0] if shape else TEXT_SEQUENCE_LENGTH


def _read_split(builder, split: str, input_key: str, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """One split's inputs and labels as numpy arrays (images as stored, texts as bytes).

    Raises:
      ValueError: naming the directory, when TFDS cannot read the split's files.
    """
    try:
        examples = builder.as_dataset(split=split, batch_size=-1)
        return examples[input_key].numpy(), examples[label_key].numpy()
    except (tf.errors.OpError, ValueError, OSError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"data file {builder.data_dir}: TFDS cannot read its {split} split ({first_line})") from None
