"""The plain-Keras cross-check: the tool's file, its refusal to overwrite, and the verdict it is rendered with."""

from __future__ import annotations

import ast
import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mkdocs_extra import mkdocs_extra

from bench_lib.analysis import crosscheck
from bench_lib.analysis.vocabulary import Figure, figure, interval_text
from docs_hooks import reference_run
from docs_hooks.reference_run import DirectiveError

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "dev" / "keras_crosscheck.py"


def _tool(*options: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *options], cwd=ROOT, capture_output=True, text=True,
                          env=os.environ | {"PYTHONPATH": str(ROOT)}, timeout=600, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def reference():
    return reference_run.load_reference(ROOT / mkdocs_extra()["reference_run"])


def _suite_accuracy(reference, batch_size: int) -> Figure:
    result = next(r for r in reference.results("batch_size") if r["spec"]["global_batch_size"] == batch_size)
    return figure(result, "test_accuracy")


def _held(accuracies: dict[int, list[float]], epochs: int = 5) -> dict:
    """A file as keras_crosscheck.py writes it, with the given per-seed accuracies."""
    return {
        "dataset": {"name": "digits", "train_examples": 1438, "test_examples": 359},
        "model": "Flatten, Dense 128 ReLU, Dropout 0.2, Dense 10 softmax",
        "hidden_units": [128], "dropout": 0.2, "optimizer": "adam", "learning_rate": 0.001, "epochs": epochs,
        "batch_sizes": {str(b): {"seeds": list(range(len(v))), "test_accuracy": v, "test_loss": [1.0] * len(v),
                                 "optimizer_steps": [3 * epochs] * len(v), "steps_per_epoch": 3}
                        for b, v in accuracies.items()},
        "versions": {"tensorflow": "2.x", "keras": "3.x", "python": "3.x"},
        "cpu_model": "a CPU", "wall_s": 1.0,
        "command": "PYTHONPATH=. python tools/dev/keras_crosscheck.py --out k.json",
    }  # fmt: skip


def test_the_verdict_agrees_inside_the_suites_interval_and_disagrees_outside():
    suite = Figure(0.62, (0.55, 0.69), 5, (0.56, 0.60, 0.64, 0.71, 0.60))
    assert crosscheck.verdict(suite, 0.62) == "agrees"
    assert crosscheck.verdict(suite, 0.55) == "agrees"
    assert crosscheck.verdict(suite, 0.549) == "disagrees"
    assert crosscheck.verdict(suite, 0.80) == "disagrees"
    assert crosscheck.verdict(Figure(0.62, None, 1, (0.62,)), 0.62) == "no interval"


def test_the_directive_renders_the_suite_beside_plain_keras_with_its_verdict(reference, tmp_path):
    suite = _suite_accuracy(reference, 512)
    inside = [suite.mean + d for d in (-0.01, 0.0, 0.01)]
    far = [suite.ci95[1] + 0.2 + d for d in (-0.01, 0.0, 0.01)]
    path = tmp_path / "keras_crosscheck.json"
    path.write_text(json.dumps(_held({512: inside})))
    rendered = reference_run.render_keras_check(reference, path, "batch_size")
    row = next(line for line in rendered.splitlines() if line.startswith("| 512 |"))
    assert f"| {interval_text(suite, '.3f')} | {interval_text(crosscheck.seeds_figure(inside), '.3f')} |" in row
    assert "Welch p=" in row and row.endswith("| agrees |")
    assert "`PYTHONPATH=. python tools/dev/keras_crosscheck.py --out k.json`, Keras 3.x" in rendered

    path.write_text(json.dumps(_held({512: far})))
    row = next(line for line in reference_run.render_keras_check(reference, path, "batch_size").splitlines()
               if line.startswith("| 512 |"))  # fmt: skip
    assert row.endswith("| disagrees |")
    comparison = crosscheck.cross_checks(reference.results("batch_size"), _held({512: far}))[0].comparison
    assert comparison.p_value < 0.05 and comparison.ci95[0] > 0  # plain Keras far above: Welch sees it too


def test_one_seed_a_side_gives_no_test_but_still_a_verdict(reference):
    [check] = crosscheck.cross_checks(reference.results("batch_size"), _held({32: [0.5]}))
    assert check.comparison is None and check.verdict == "disagrees"
    assert check.suite_steps_per_epoch == math.ceil(1438 / 32) and check.other_steps_per_epoch == 3


@pytest.mark.parametrize(
    ("held", "directive", "message"),
    [
        (_held({512: [0.6, 0.6]}, epochs=4), "batch_size", "0 results trained plain Keras' configuration"),
        (_held({48: [0.6, 0.6]}), "batch_size", "0 results trained"),
        ({"epochs": 5}, "batch_size", "not a keras_crosscheck.py file: it lacks dataset"),
        (_held({512: [0.6, 0.6]}), "no_such_question", "no question 'no_such_question'"),
        (_held({512: [0.6, 0.6]}), "batch_size extra", "takes one question"),
    ],
)
def test_a_file_or_directive_that_cannot_be_matched_fails_naming_why(reference, tmp_path, held, directive, message):
    path = tmp_path / "keras_crosscheck.json"
    path.write_text(json.dumps(held))
    with pytest.raises(DirectiveError, match=message):
        reference_run.render_keras_check(reference, path, directive)
    with pytest.raises(DirectiveError, match="no plain-Keras cross-check is kept"):
        reference_run.render_keras_check(reference, tmp_path / "absent.json", "batch_size")


def test_the_kept_cross_check_renders_and_took_the_suites_steps_an_epoch(reference):
    """The kept file is of the reference run's configuration; what it concludes is rendered, not asserted."""
    checks = crosscheck.cross_checks(
        reference.results("batch_size"), json.loads((ROOT / mkdocs_extra()["keras_check"]).read_text())
    )
    assert {c.batch_size for c in checks} == {32, 512}
    assert all(c.other_steps_per_epoch == c.suite_steps_per_epoch for c in checks)
    assert all(c.verdict in crosscheck.VERDICTS for c in checks)


def test_the_tool_refuses_a_bad_option_or_an_existing_file_before_training(tmp_path):
    kept = tmp_path / "kept.json"
    kept.write_text("a user's file")
    for options, message in [
        (["--out", str(kept)], f"--out='{kept}' is not allowed: the file exists"),
        (["--seeds", "0,0", "--out", str(tmp_path / "new.json")], "--seeds='0,0' is not allowed"),
        (["--batch-sizes", "0", "--out", str(tmp_path / "new.json")], "--batch-sizes='0' is not allowed"),
        (["--epochs", "0", "--out", str(tmp_path / "new.json")], "--epochs=0 is not allowed"),
        (["--out", str(tmp_path / "no" / "new.json")], "its folder does not exist"),
    ]:
        done = _tool(*options)
        assert done.returncode == 1 and done.stderr.strip().splitlines() == [done.stderr.strip()]
        assert message in done.stderr
    assert kept.read_text() == "a user's file" and sorted(p.name for p in tmp_path.iterdir()) == ["kept.json"]


def test_the_tool_takes_only_the_data_split_from_the_suite():
    """Independence: nothing of the suite's model builder, step or training loop trains plain Keras' side."""
    imported = {node.module for node in ast.walk(ast.parse(TOOL.read_text())) if isinstance(node, ast.ImportFrom)}
    assert {m for m in imported if m.startswith("bench_lib")} == {
        "bench_lib.config.spec", "bench_lib.engine", "bench_lib.probes.machine"
    }  # fmt: skip
    assert "from bench_lib.engine import data\n" in TOOL.read_text()


def test_writing_refuses_a_file_that_appeared_meanwhile_and_leaves_no_temporary(tmp_path):
    spec = importlib.util.spec_from_file_location("_keras_crosscheck", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    path = tmp_path / "out.json"
    tool.write_new(path, "first")
    with pytest.raises(SystemExit, match="the file exists"):
        tool.write_new(path, "second")
    assert path.read_text() == "first" and [p.name for p in tmp_path.iterdir()] == ["out.json"]


@pytest.mark.slow
def test_the_tool_writes_each_seeds_accuracy_and_the_steps_keras_took_then_will_not_overwrite(tmp_path):
    out = tmp_path / "one.json"
    done = _tool("--seeds", "0", "--epochs", "1", "--batch-sizes", "512", "--out", str(out))
    assert done.returncode == 0, done.stderr
    held = json.loads(out.read_text())
    run = held["batch_sizes"]["512"]
    assert run["seeds"] == [0] and len(run["test_accuracy"]) == 1 and 0 <= run["test_accuracy"][0] <= 1
    assert (
        run["optimizer_steps"] == [3] and run["steps_per_epoch"] == 3
    )  # ceil(1438 / 512): fit's last batch is partial
    assert held["epochs"] == 1 and held["dataset"] == {"name": "digits", "train_examples": 1438, "test_examples": 359}
    assert set(held["versions"]) == {"tensorflow", "keras", "python"} and held["cpu_model"]
    assert held["command"].endswith(f"tools/dev/keras_crosscheck.py --seeds 0 --epochs 1 --batch-sizes 512 --out {out}")
    before = out.read_text()
    again = _tool("--seeds", "0", "--epochs", "1", "--batch-sizes", "512", "--out", str(out))
    assert again.returncode == 1 and "the file exists" in again.stderr and out.read_text() == before
