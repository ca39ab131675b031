"""Every model family trains through `run --model` under one_device and mirrored (2 logical CPUs) on tiny
configurations, and a bad data file stops `run` with one line naming the file, before any training."""

import json

import numpy as np
import pytest

from bench_lib.cli.main import main
from bench_lib.engine import runner
from tests.test_data_files import write_cifar10

TINY = ["--batch-size", "4", "--steps", "2", "--warmup-steps", "1", "--optimizer", "sgd", "-q"]
# resnet56 and bert_base are resnet20's and transformer_small's builders at other sizes.
FAMILIES = {
    "resnet20": ["--dataset", "synthetic"],
    "resnet50": ["--dataset", "cifar10"],
    "mobilenet_v2": ["--dataset", "cifar10"],
    "transformer_small": ["--dataset", "synthetic"],
}
STRATEGIES = {"one_device": [], "mirrored": ["--strategy", "mirrored", "--replicas", "2"]}


@pytest.fixture(scope="module")
def cifar_folder(tmp_path_factory):
    return write_cifar10(tmp_path_factory.mktemp("cifar") / "cifar-10-batches-py")


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("model", FAMILIES)
def test_every_family_trains_under_each_strategy(model, strategy, cifar_folder, tmp_path, monkeypatch):
    # Measuring the input cost traces the step a second time and trains 8 blocks more (8 s of a
    # ResNet-50 run here); it is tested on its own (tests/test_step_memory.py), so these runs skip it.
    monkeypatch.setattr(runner, "input_cost_fields", lambda prepared, block_steps: {})
    out = tmp_path / "run.json"
    data = FAMILIES[model] + (["--data-path", str(cifar_folder)] if "cifar10" in FAMILIES[model] else [])
    assert main(["run", "--model", model, *data, *STRATEGIES[strategy], *TINY, "--json", str(out)]) == 0
    saved = json.loads(out.read_text())
    assert saved["status"] == "ok" and saved["optimizer_steps"] == 2
    # The running training loss of the last epoch: synthetic labels are random, so no set is evaluated there.
    assert saved["flops_per_step"] > 0 and np.isfinite(saved["history"][-1]["train_loss"])


def _bad_mnist(tmp_path, **arrays):
    rng = np.random.default_rng(0)
    good = {
        "x_train": rng.integers(0, 256, (1000, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 1000, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (100, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 100, dtype=np.uint8),
    }
    path = tmp_path / "mnist.npz"
    np.savez(path, **(good | arrays))
    return path


def _text_file(tmp_path):
    path = tmp_path / "mnist.txt"
    path.write_text("0,1,2\n3,4,5\n")
    return path


@pytest.mark.parametrize(
    ("make_file", "problem"),
    [
        (_text_file, "is not an .npz archive of arrays (numpy: "),
        (
            lambda tmp: _bad_mnist(tmp, x_train=np.zeros((1000, 5))),
            ": x_train has shape (1000, 5); it needs (N, 28, 28) with N >= 1",
        ),
        (
            lambda tmp: _bad_mnist(tmp, y_train=np.full(1000, 42)),
            ": y_train has labels from 42 to 42; this dataset has 10 classes, labels 0 to 9",
        ),
    ],
    ids=["text file", "wrong shape", "label out of range"],
)
def test_a_bad_data_file_is_one_line_naming_the_file_before_training(make_file, problem, tmp_path, capsys):
    path = make_file(tmp_path)
    out = tmp_path / "run.json"
    assert main(["run", "--dataset", "mnist", "--data-path", str(path), "--steps", "1", "--json", str(out)]) == 2
    printed = capsys.readouterr()
    (line,) = printed.err.strip().splitlines()
    assert line.startswith(f"python -m bench_lib: error: data file {path}") and problem in line
    assert "epoch" not in printed.out and not out.exists()
