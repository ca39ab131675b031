"""The pytest-benchmark suite end to end, on a tiny grid, in a fresh pytest process."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    out = tmp_path_factory.mktemp("suite") / "run.json"
    command = [
        sys.executable, "-m", "pytest", "benchmarks/test_batch_size.py", "-k", "not fixed_steps", "-q", "-rs",
        "-p", "no:cacheprovider",
        "--bench-replicas", "3", "--bench-batch-sizes", "64,96,2048", "--bench-epochs", "1", f"--benchmark-json={out}",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text()), done.stdout


def test_every_round_is_one_timed_optimizer_step(saved):
    data, _ = saved
    names = sorted(b["name"] for b in data["benchmarks"])
    assert names == [
        "test_batch_size[mirrored3-bs96-acc1-mlp-adam]",
        "test_batch_size[one_device-bs64-acc1-mlp-adam]",
        "test_batch_size[one_device-bs96-acc1-mlp-adam]",
    ]
    for bench in data["benchmarks"]:
        info = bench["extra_info"]
        assert info["status"] == "ok"
        assert info["spec"]["epochs"] == 1
        steps = 1438 // info["global_batch_size"]
        assert info["optimizer_steps"] == steps
        assert bench["stats"]["rounds"] == info["timed_steps"] == steps - info["spec"]["warmup_steps"]


def test_an_impossible_grid_point_is_skipped_with_the_arithmetic(saved):
    _, stdout = saved
    assert "SKIPPED" in stdout
    assert "replicas x accumulation_steps = 3 x 1 = 3 micro-batches (64 / 3 = 21.3333)" in stdout
    assert "global_batch_size=2048 is not allowed: dataset='digits' has only 1438 training examples" in stdout


def test_machine_info_tells_hardware_and_software_apart(saved):
    data, _ = saved
    info = data["machine_info"]
    for key in (
        "tensorflow",
        "keras",
        "cpu_model",
        "cpu_precision_flags",
        "gpu_count",
        "gpu_names",
        "tf_env",
        "tfbench_profile",
    ):
        assert key in info
    assert info["logical_cpu_devices"] == 3 or info["gpu_count"] >= 3


def test_the_summary_lists_every_configuration(saved):
    _, stdout = saved
    assert "tfbench results" in stdout
    assert "| one_device-bs64-acc1-mlp-adam | ok |" in stdout


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--bench-profile=huge", "--bench-profile='huge' is not allowed: choose one of quick, full"),
        ("--bench-replicas=2,4", "--bench-replicas='2,4' is not allowed: one whole number"),
        ("--bench-batch-sizes=0,3", "--bench-batch-sizes='0,3' is not allowed: every number must be >= 1"),
        ("--bench-strategies=one_device,tpu", "strategy='tpu' is not allowed: choose one of"),
        ("--bench-dataset=cifar", "dataset='cifar' is not allowed"),
        ("--bench-seeds=0", "--bench-seeds='0' is not allowed: every number must be >= 1"),
        ("--bench-target-accuracy=1.2", "--bench-target-accuracy='1.2' is not allowed: a test accuracy in (0, 1]"),
    ],
)
def test_a_bad_suite_option_is_one_line_before_anything_runs(option, message):
    command = [sys.executable, "-m", "pytest", "benchmarks/", "-p", "no:cacheprovider", option]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 4  # pytest's usage error
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_rounds_and_warmup_options_and_what_a_round_is_with_several_steps_per_call(tmp_path):
    out = tmp_path / "run.json"
    command = [
        sys.executable, "-m", "pytest", "benchmarks/test_throughput.py", "-q", "-p", "no:cacheprovider",
        "-k", "one_device-bs256-acc1-mlp-adam-spe8", "--bench-rounds", "4", "--bench-warmup", "1",
        f"--benchmark-json={out}",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [bench] = json.loads(out.read_text())["benchmarks"]
    info = bench["extra_info"]
    # One round is one call of 8 optimizer steps; the warm-up call takes the first 8 steps.
    assert bench["stats"]["rounds"] == 4
    assert info["optimizer_steps"] == 8 + 4 * 8 and info["timed_steps"] == 4 * 8
    assert info["train_traces"] == 1
    assert "WARNING: one_device-bs256-acc1-mlp-adam-spe8: too few rounds: 4 timed" in done.stdout
