"""Data files in their real formats: CIFAR batches through an unpickler that runs no code, and every
file checked for shape, dtype, label range and class count before any training."""

import io
import os
import pickle
import struct

import numpy as np
import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.engine import cifar, data


class Python2Pickler(pickle._Pickler):
    """Pickles bytes as Python 2's cPickle pickled its str, as the CIFAR files hold them (BINSTRING),
    where Python 3's protocol 2 would call _codecs.encode."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_bytes_as_str(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes_as_str


def python2_pickle(obj):
    out = io.BytesIO()
    Python2Pickler(out, protocol=2).dump(obj)
    return out.getvalue()


def write_batch(path, labels, *, label_key=b"labels", numpy_module=b"numpy._core.multiarray"):
    """One batch file in the CIFAR python version's format: a dict with bytes keys, pickled by Python 2."""
    images = np.arange(len(labels) * 3072, dtype=np.uint32).astype(np.uint8).reshape(len(labels), 3072)
    batch = {b"batch_label": b"tiny", label_key: list(labels), b"data": images, b"filenames": [b"x.png"] * len(labels)}
    raw = python2_pickle(batch)
    # Files written under numpy < 2 name numpy.core.multiarray; protocol 2 spells globals as text lines.
    path.write_bytes(raw.replace(b"numpy._core.multiarray", numpy_module))


def write_cifar10(folder, labels=(0, 1, 2, 9), test_labels=(3, 4)):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, 6):
        write_batch(folder / f"data_batch_{i}", labels)
    write_batch(folder / "test_batch", test_labels)
    return folder


@pytest.mark.parametrize("numpy_module", [b"numpy._core.multiarray", b"numpy.core.multiarray"])
def test_cifar10_reads_the_batch_folder_as_nhwc_images(tmp_path, numpy_module):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        write_batch(folder / name, [0, 1, 2, 9], numpy_module=numpy_module)
    loaded = data.load(RunSpec(dataset="cifar10", data_path=str(folder), global_batch_size=4))
    assert loaded.x_train.shape == (20, 32, 32, 3) and loaded.num_classes == 10
    assert loaded.y_train.tolist() == [0, 1, 2, 9] * 5
    # channels-first rows become channels-last pixels: pixel (0, 0) holds bytes 0, 1024 and 2048 of the row
    assert (loaded.x_train[0, 0, 0] * 255).round().tolist() == [0, 1024 % 256, 2048 % 256]


def test_cifar100_reads_the_fine_labels_from_the_keras_cache(tmp_path, monkeypatch):
    folder = tmp_path / "datasets" / "cifar-100-python-target" / "cifar-100-python"
    folder.mkdir(parents=True)
    write_batch(folder / "train", [0, 57, 99, 3], label_key=b"fine_labels")
    write_batch(folder / "test", [98, 1], label_key=b"fine_labels")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    loaded = data.load(RunSpec(dataset="cifar100", global_batch_size=2))
    assert loaded.num_classes == 100 and loaded.y_test.tolist() == [98, 1]


class RunsCode:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_a_batch_that_would_run_code_is_refused_naming_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = write_cifar10(tmp_path / "cifar")
    (folder / "data_batch_3").write_bytes(pickle.dumps({"data": RunsCode(), "labels": [0]}, protocol=2))
    refused = r"^data file .*data_batch_3 is not a CIFAR batch \(refused: it asks for posix\.system"
    with pytest.raises(ValueError, match=refused):
        data.load(RunSpec(dataset="cifar10", data_path=str(folder), global_batch_size=2))
    assert not (tmp_path / "pwned").exists()


def test_cifar_labels_outside_the_classes_are_named_before_training(tmp_path):
    folder = write_cifar10(tmp_path / "cifar", labels=(0, 1, 10, 2))
    problem = r"y_train has labels from 0 to 10; this dataset has 10 classes, labels 0 to 9"
    with pytest.raises(ValueError, match=problem):
        data.load(RunSpec(dataset="cifar10", data_path=str(folder), global_batch_size=2))


def test_a_missing_cifar_folder_names_where_it_was_looked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py"):
        data.load(RunSpec(dataset="cifar10"))


def test_the_unpickler_hands_out_only_numpy_array_reconstruction():
    loaded = cifar.ArraysOnlyUnpickler(io.BytesIO(python2_pickle({b"a": np.arange(3)})), encoding="bytes").load()
    assert loaded[b"a"].tolist() == [0, 1, 2]
    for refused, name in [(eval, "__builtin__.eval"), (b"\x00", "_codecs.encode")]:
        with pytest.raises(pickle.UnpicklingError, match=name):
            cifar.ArraysOnlyUnpickler(io.BytesIO(pickle.dumps(refused, protocol=2))).load()


def _with(array: np.ndarray, index: tuple[int, ...], value: float) -> np.ndarray:
    """array with value at index and, later in it, the same value again (the first one is named)."""
    array[index] = value
    array[-1, -1, -1] = value
    return array


@pytest.mark.parametrize(
    ("arrays", "problem"),
    [
        ({"x_train": np.zeros((12, 5), np.uint8)}, r"x_train has shape \(12, 5\); it needs \(N, 28, 28\)"),
        ({"y_test": np.full(5, 42)}, r"y_test has labels from 42 to 42; this dataset has 10 classes, labels 0 to 9"),
        ({"y_train": np.zeros(11, np.uint8)}, r"y_train has shape \(11,\); it needs \(12,\)"),
        ({"y_train": np.full(12, 0.5)}, r"y_train holds float64 values; it needs whole-number class indices"),
        (
            {"x_train": _with(np.zeros((12, 28, 28), np.float32), (3, 4, 5), np.nan)},
            r"x_train holds nan at index \(3, 4, 5\); every value must be a finite number",
        ),
        (
            {"x_test": _with(np.ones((5, 28, 28)), (1, 0, 2), -np.inf)},
            r"x_test holds -inf at index \(1, 0, 2\); every value must be a finite number",
        ),
    ],
)
def test_a_bad_mnist_npz_is_named_with_its_problem(tmp_path, arrays, problem):
    rng = np.random.default_rng(0)
    good = {
        "x_train": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 12, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 5, dtype=np.uint8),
    }
    np.savez(tmp_path / "bad.npz", **(good | arrays))
    with pytest.raises(ValueError, match=f"^data file {tmp_path / 'bad.npz'}: {problem}"):
        data.load(RunSpec(dataset="mnist", data_path=str(tmp_path / "bad.npz"), global_batch_size=4))


def test_a_text_file_as_mnist_is_named_as_no_npz_archive(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("these are not images\n")
    with pytest.raises(ValueError, match=f"^data file {path} is not an .npz archive of arrays"):
        data.load(RunSpec(dataset="mnist", data_path=str(path)))


@pytest.mark.parametrize(
    ("model", "shape", "dtype"),
    [("resnet50", (224, 224, 3), np.float32), ("transformer_small", (64,), np.int32), ("mlp", (28, 28, 1), np.float32)],
)
def test_synthetic_data_takes_the_models_shape(model, shape, dtype):
    loaded = data.load(RunSpec(model=model, dataset="synthetic", global_batch_size=128))
    assert loaded.x_train.shape[1:] == shape and loaded.x_train.dtype == dtype
    assert len(loaded.x_train) >= 128 and len(loaded.x_test) >= 1
