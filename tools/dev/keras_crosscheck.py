"""Trains the batch-size question's network with plain Keras on the suite's digits split, to check the suite's training.

    PYTHONPATH=. python tools/dev/keras_crosscheck.py --out keras_crosscheck.json
    PYTHONPATH=. python tools/dev/keras_crosscheck.py --batch-sizes 512 --seeds 0 --epochs 1 --out one.json

The network is the suite's `mlp` as the batch-size question builds it (Flatten, Dense 128 ReLU,
Dropout 0.2, Dense softmax, Keras' default initializers), built here with `keras.Sequential` and
trained by `model.fit(epochs=E, batch_size=B, shuffle=True)` with Adam at Keras' default rate, one
fresh model per batch size and seed after `keras.utils.set_random_seed(seed)`, then scored by
`model.evaluate` on the test split. Only the data come from the suite (bench_lib.engine.data's
digits split, the one every run of the suite trains and tests on), so what is compared is the
training: nothing of the suite's model builder, step or loop is used.

It prints each batch size's test accuracies and writes them, with the optimizer steps Keras took,
the versions, the CPU and the command, to --out as JSON; it never overwrites a file. The manual's
batch-size page sets the kept file beside the reference run (`{{ keras_check batch_size }}`,
docs_hooks/reference_run.py).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where it is used, so that a bad option is refused before TensorFlow starts
    import keras

ROOT = Path(__file__).resolve().parents[2]
HIDDEN_UNITS = 128
DROPOUT = 0.2
DATASET = "digits"


def _integers(text: str, option: str, smallest: int) -> list[int]:
    """A comma-separated list of whole numbers >= smallest. Raises: SystemExit naming the option."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        values = []
    if not values or min(values) < smallest or len(set(values)) != len(values):
        raise SystemExit(f"{option}={text!r} is not allowed: distinct comma-separated whole numbers >= {smallest}")
    return values


def plain_mlp(image_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    """The suite's mlp of one hidden layer, as plain Keras builds it, compiled with Adam at its default rate."""
    import keras

    model = keras.Sequential([
        keras.Input(shape=image_shape),
        keras.layers.Flatten(),
        keras.layers.Dense(HIDDEN_UNITS, activation="relu"),
        keras.layers.Dropout(DROPOUT),
        keras.layers.Dense(num_classes, activation="softmax"),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train(batch_sizes: list[int], seeds: list[int], epochs: int) -> dict:
    """Every batch size's per-seed test accuracy and loss, and the optimizer steps Keras' fit took."""
    import keras

    from bench_lib.config.spec import RunSpec
    from bench_lib.engine import data

    try:
        split = data.load(RunSpec(dataset=DATASET, global_batch_size=max(batch_sizes)))
    except ValueError as error:
        raise SystemExit(f"--batch-sizes: {error}") from None
    runs = {}
    for batch_size in batch_sizes:
        accuracies, losses, steps = [], [], []
        for seed in seeds:
            keras.utils.set_random_seed(seed)
            model = plain_mlp(split.image_shape, split.num_classes)
            model.fit(split.x_train, split.y_train, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
            loss, accuracy = model.evaluate(split.x_test, split.y_test, verbose=0)
            accuracies.append(float(accuracy))
            losses.append(float(loss))
            steps.append(int(model.optimizer.iterations.numpy()))
            print(f"batch {batch_size} seed {seed}: test accuracy {accuracy:.4f}, {steps[-1]} optimizer steps",
                  file=sys.stderr, flush=True)  # fmt: skip
        runs[str(batch_size)] = {
            "seeds": seeds,
            "test_accuracy": accuracies,
            "test_loss": losses,
            "optimizer_steps": steps,
            "steps_per_epoch": steps[0] // epochs,
        }
    return {
        "dataset": {"name": DATASET, "train_examples": len(split.x_train), "test_examples": len(split.x_test)},
        "model": f"Flatten, Dense {HIDDEN_UNITS} ReLU, Dropout {DROPOUT}, Dense {split.num_classes} softmax",
        "hidden_units": [HIDDEN_UNITS],
        "dropout": DROPOUT,
        "optimizer": "adam",
        "learning_rate": inspect.signature(keras.optimizers.Adam).parameters["learning_rate"].default,
        "epochs": epochs,
        "batch_sizes": runs,
        "versions": {"tensorflow": _tensorflow_version(), "keras": keras.__version__,
                     "python": platform.python_version()},
    }  # fmt: skip


def _tensorflow_version() -> str:
    import tensorflow as tf

    return tf.__version__


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what platform knows."""
    from bench_lib.probes.machine import cpu_model as probed

    return probed()


def command() -> str:
    """The command that ran this, with the script's path relative to the repository root."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(ROOT) if script.is_relative_to(ROOT) else script
    return f"PYTHONPATH=. python {shlex.join([str(shown), *sys.argv[1:]])}"


def write_new(path: Path, text: str) -> None:
    """Writes text to a file that must not exist yet: a temporary file beside it, then a hard link
    to the path, which fails rather than replace a file that appeared meanwhile.

    Raises: SystemExit naming the path when it exists."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as temporary:
        temporary.write(text)
    try:
        os.link(temporary.name, path)
    except FileExistsError:
        raise SystemExit(f"--out={str(path)!r} is not allowed: the file exists; give a new path") from None
    finally:
        os.unlink(temporary.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", default="32,512", help="comma-separated global batch sizes (default 32,512)")
    parser.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated seeds (default 0,1,2,3,4)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs of model.fit (default 5)")
    parser.add_argument("--out", type=Path, required=True, help="the JSON file to write; it must not exist")
    args = parser.parse_args()
    batch_sizes = _integers(args.batch_sizes, "--batch-sizes", 1)
    seeds = _integers(args.seeds, "--seeds", 0)
    if args.epochs < 1:
        raise SystemExit(f"--epochs={args.epochs!r} is not allowed: 1 or more")
    if args.out.exists() or not args.out.parent.is_dir():
        reason = "the file exists; give a new path" if args.out.exists() else "its folder does not exist"
        raise SystemExit(f"--out={str(args.out)!r} is not allowed: {reason}")
    started = time.perf_counter()
    held = train(batch_sizes, seeds, args.epochs)
    held |= {"cpu_model": cpu_model(), "wall_s": time.perf_counter() - started, "command": command()}
    print(
        f"\n{held['command']}\n\n| batch | seeds | optimizer steps an epoch | test accuracy, mean |\n|---|---|---|---|"
    )
    for batch_size, run in held["batch_sizes"].items():
        print(f"| {batch_size} | {len(run['seeds'])} | {run['steps_per_epoch']} | "
              f"{statistics.fmean(run['test_accuracy']):.3f} |")  # fmt: skip
    write_new(args.out, json.dumps(held, indent=2) + "\n")


if __name__ == "__main__":
    main()
