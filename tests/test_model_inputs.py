"""A model that cannot take a dataset's images is refused at the edge: one line, a suggestion, before TensorFlow."""

import subprocess
import sys

import numpy as np
import pytest

from bench_lib.config import datasets, models
from bench_lib.config.spec import RunSpec, check_image_shape


@pytest.mark.parametrize("model", [name for name in models.names() if models.declared(name).min_image_side])
@pytest.mark.parametrize("dataset", ["digits", "mnist", "fashion_mnist"])
def test_small_images_are_refused_naming_what_would_fit(model, dataset):
    with pytest.raises(ValueError) as error:
        RunSpec(model=model, dataset=dataset)
    message = str(error.value)
    assert message.startswith(f"dataset={dataset!r} is not allowed: it gives ")
    assert f"model={model!r} needs at least 32x32" in message
    assert "'cifar10'" in message and "'synthetic'" in message and "resnet20" in message
    assert "\n" not in message


@pytest.mark.parametrize("model", ["resnet50", "mobilenet_v2"])
@pytest.mark.parametrize("dataset", ["cifar10", "cifar100", "synthetic"])
def test_images_large_enough_are_accepted(model, dataset):
    assert RunSpec(model=model, dataset=dataset).model == model


@pytest.mark.parametrize("model", ["mlp", "cnn", "resnet20"])
def test_models_without_a_minimum_take_the_smallest_images(model):
    assert RunSpec(model=model, dataset="digits").dataset == "digits"


def test_every_built_in_image_dataset_declares_its_shape():
    image_sets = [name for name in datasets.DATASETS if name != "synthetic"]
    assert sorted(datasets.IMAGE_SHAPES) == sorted(image_sets)


def test_a_set_known_only_from_its_files_is_checked_when_loaded():
    spec = RunSpec(model="resnet50", dataset="tfds:tiny_pictures")  # its shape is unknown until loaded
    with pytest.raises(ValueError, match=r"it gives 8x8x3 images and model='resnet50' needs at least 32x32"):
        check_image_shape(spec, (8, 8, 3))
    check_image_shape(spec, (32, 32, 3))
    check_image_shape(spec, (64,))  # token ids: the input-kind check speaks for those


def test_prepare_refuses_small_images_before_building_the_model(monkeypatch):
    from bench_lib.engine import data, preparation

    tiny = data.Dataset(
        "tfds:tiny",
        np.zeros((16, 8, 8, 3), np.float32),
        np.zeros(16, np.int32),
        np.zeros((4, 8, 8, 3), np.float32),
        np.zeros(4, np.int32),
        num_classes=2,
    )
    monkeypatch.setattr(data, "load", lambda spec: tiny)
    monkeypatch.setattr(preparation, "build_strategy", pytest.fail)  # nothing is built
    with pytest.raises(ValueError, match="needs at least 32x32"):
        preparation.prepare(RunSpec(model="resnet50", dataset="tfds:tiny", global_batch_size=4))


def test_the_command_line_refuses_before_tensorflow_is_imported():
    code = (
        "import sys; from bench_lib.cli.main import main; "
        "rc = main(['run', '--model', 'resnet50', '--dataset', 'digits']); "
        "print('tensorflow' in sys.modules); sys.exit(rc)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stdout.strip() == "False"
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("python -m bench_lib: error: dataset='digits' is not allowed: it gives 8x8x1 images")
