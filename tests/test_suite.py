"""The pytest-benchmark suite end to end, on a tiny grid, in a fresh pytest process."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench_lib.spec import RunSpec
from bench_lib.suite import record, startup

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


def test_a_diverging_configuration_stops_its_rounds_and_is_recorded(measure_run, benchmark, request):
    spec = RunSpec(optimizer="sgd", learning_rate=1e20, global_batch_size=64, epochs=3, warmup_steps=0)
    result = measure_run(spec)  # 66 rounds planned
    assert result["status"] == "diverged"
    assert result["optimizer_steps"] == result["diverged_at_step"] < 10, "the remaining rounds were not run"
    assert benchmark.has_error, "pytest-benchmark leaves it out of `benchmarks`"
    saved = {}
    record.pytest_benchmark_update_json(request.config, [], saved)
    mine = [r for r in saved["tfbench_failures"] if r["name"] == request.node.name]
    assert [(r["status"], r["diverged_at_step"]) for r in mine] == [("diverged", result["diverged_at_step"])]
    assert saved["tfbench_interrupted"] is False


def test_a_configuration_over_the_memory_limit_is_recorded_as_oom(measure_run, benchmark, request):
    spec = RunSpec(model="cnn", dataset="synthetic", global_batch_size=64, steps=20, memory_limit_mib=8)
    result = measure_run(spec)
    assert result["status"] == "oom"
    assert "memory_limit_mib=8 exceeded" in result["error"]
    assert result["optimizer_steps"] <= 1
    saved = {}
    record.pytest_benchmark_update_json(request.config, [], saved)
    assert [r["status"] for r in saved["tfbench_failures"] if r["name"] == request.node.name] == ["oom"]


def test_sigterm_ends_a_session_like_ctrl_c(request):
    interrupt = startup._interrupt
    assert signal.getsignal(signal.SIGTERM) is interrupt
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
        interrupt(signal.SIGTERM, None)


def suite(storage, *options):
    command = [
        sys.executable, "-m", "pytest", "benchmarks/test_batch_size.py", "-v", "-p", "no:cacheprovider",
        "--bench-strategies", "one_device", "--bench-batch-sizes", "32,64", "--bench-epochs", "1",
        f"--benchmark-storage=file://{storage}", "--benchmark-save=night", *options,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        # A shell's background job inherits SIGINT ignored, and so would the suite; Ctrl-C is the point here.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_ctrl_c_mid_suite_leaves_whole_files_only_and_a_rerun_works(tmp_path):
    running = suite(tmp_path)
    output = []
    for line in running.stdout:
        output.append(line)
        if " PASSED" in line:  # the first configuration is done, the second is training
            running.send_signal(signal.SIGINT)
            break
    output.append(running.stdout.read())
    assert running.wait(timeout=120) == 2, "".join(output)  # pytest's 'interrupted'
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert len(files) == 1 and files[0].endswith("/0001_night.json"), files  # no temp or partial file
    first = json.loads((tmp_path / files[0]).read_text())
    assert first["tfbench_interrupted"] is True
    assert [b["name"] for b in first["benchmarks"]] == ["test_batch_size[one_device-bs32-acc1-mlp-adam]"]

    rerun = suite(tmp_path, "-k", "bs64 and not fixed_steps")
    assert rerun.wait(timeout=120) == 0, rerun.stdout.read()
    second = sorted(tmp_path.rglob("*.json"))
    assert [p.name for p in second] == ["0001_night.json", "0002_night.json"]
    assert json.loads(second[0].read_text()) == first, "the interrupted run's file is never touched again"
    assert json.loads(second[1].read_text())["tfbench_interrupted"] is False
