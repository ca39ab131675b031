"""The pytest-benchmark suite end to end, on a tiny grid, in a fresh pytest process."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.suite import record, startup, stash

import background

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def saved(suite_run):
    """tests/conftest.py's tiny grid run: --bench-replicas 3 --bench-batch-sizes 96,128,2048 --bench-epochs 2."""
    return json.loads(suite_run.saved.read_text()), suite_run.stdout


def test_every_round_is_one_timed_block_saved_per_optimizer_step(saved):
    data, _ = saved
    for bench in data["benchmarks"]:
        info = bench["extra_info"]
        assert info["status"] == "ok"
        assert info["timed_steps"] == info["optimizer_steps"] - info["spec"]["warmup_steps"]
        assert bench["stats"]["rounds"] == -(-info["timed_steps"] // info["block_steps"])
        assert bench["stats"]["median"] * 1000 == pytest.approx(info["step_time_ms"]["median"])
    batch_size = [b for b in data["benchmarks"] if b["group"] == "test_batch_size"]
    assert sorted(b["name"] for b in batch_size) == [
        "test_batch_size[mirrored3-bs96-acc1-mlp-adam]",
        "test_batch_size[one_device-bs128-acc1-mlp-adam]",
        "test_batch_size[one_device-bs96-acc1-mlp-adam]",
    ]
    for bench in batch_size:
        info = bench["extra_info"]
        assert info["spec"]["epochs"] == 2
        assert info["optimizer_steps"] == 2 * -(-1438 // info["global_batch_size"])  # epochs of ceil(N/B) steps


def test_an_impossible_grid_point_is_skipped_with_the_arithmetic(saved):
    _, stdout = saved
    assert "SKIPPED" in stdout
    assert "replicas x accumulation_steps = 3 x 1 = 3 micro-batches (128 / 3 = 42.6667)" in stdout
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
        "cpu_family",
        "cpu_model_number",
        "tf32_enabled",
    ):
        assert key in info
    assert info["logical_cpu_devices"] == 3 or info["gpu_count"] >= 3
    # The load changes from run to run: beside machine_info, so pytest-benchmark's compare stays quiet.
    load = data["tfbench_load"]
    assert not {"load_average_start", "load_average_end", "others_cpu_cores"} & info.keys()
    assert len(load["load_average_start"]) == 3 and load["others_cpu_cores"] >= 0


def test_the_summary_lists_every_configuration(saved):
    _, stdout = saved
    assert "tfbench results" in stdout
    assert "| one_device-bs128-acc1-mlp-adam | ok |" in stdout


def test_the_suite_prints_no_tensorflow_start_up_notices(suite_run):
    output = suite_run.stdout + suite_run.stderr
    assert "oneDNN custom operations" not in output and "absl::InitializeLog" not in output


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
        ("--bench-bytes-per-pack=4096", "bytes_per_pack=4096, collective_timeout_s=None is not allowed: only for mul"),
        ("--bench-transformer-size=4,256,4,128", "transformer_size=(4, 256, 4, 128) is not allowed: only with a"),
        ("--bench-models=transformer --bench-transformer-size=2,100,3,32", "transformer_width=100 is not allowed"),
        ("--bench-models=transformer --bench-transformer-size=2,128", "transformer_size=(2, 128) is not allowed: four"),
        ("--benchmark-min-rounds=20", "--benchmark-min-rounds is not allowed in the tfbench suite: the suite times"),
    ],
)
def test_a_bad_suite_option_is_one_line_before_anything_runs(option, message):
    command = [sys.executable, "-m", "pytest", "benchmarks/", "-p", "no:cacheprovider", *option.split()]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 4  # pytest's usage error
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_dataset_is_one_line_naming_the_suite_option_before_anything_trains(tmp_path):
    command = [
        sys.executable, "-m", "pytest", "benchmarks/test_batch_size.py", "-p", "no:cacheprovider", "--bench-dataset",
        "mnist", "--benchmark-save=x", f"--benchmark-storage=file://{tmp_path / 'storage'}",
    ]  # fmt: skip
    environ = {**os.environ, "KERAS_HOME": str(tmp_path / "keras")}  # no mnist.npz there
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=environ)
    assert done.returncode == 4, done.stdout[-2000:]  # pytest's usage error
    assert done.stderr.strip() == (
        f"ERROR: --bench-dataset=mnist: no file at {tmp_path / 'keras' / 'datasets' / 'mnist.npz'}; put the data "
        "there, or choose a dataset the suite always has: --bench-dataset=digits"
    )
    assert "--data-path" not in done.stderr and "passed" not in done.stdout
    assert not list((tmp_path / "storage").rglob("*.json*")), "nothing trained, nothing saved"


def test_a_diverging_configuration_stops_its_rounds_and_is_recorded(measure_run, benchmark, request):
    spec = RunSpec(optimizer="sgd", learning_rate=1e20, global_batch_size=64, epochs=3, warmup_steps=0)
    result = measure_run(spec)  # 66 rounds planned
    assert result["status"] == "diverged"
    assert result["optimizer_steps"] == result["diverged_at_step"] < 10, "the remaining rounds were not run"
    assert request.node.stash[stash.NOT_SAVED], "left out of the saved run's `benchmarks`"
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


def test_sigterm_ends_a_session_like_ctrl_c(monkeypatch):
    monkeypatch.setattr(startup, "_interrupted_by", [])  # so that this session goes on afterwards
    interrupt = startup._interrupt
    assert signal.getsignal(signal.SIGTERM) is interrupt
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
        interrupt(signal.SIGTERM, None)


def suite(storage, benchmarks, *options):
    command = [
        sys.executable, "-m", "pytest", benchmarks, "-v", "-p", "no:cacheprovider",
        "--bench-strategies", "one_device", "--bench-batch-sizes", "32,64", "--bench-epochs", "1",
        f"--benchmark-storage=file://{storage}", "--benchmark-save=night", *options,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return background.popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        # A shell's background job inherits SIGINT ignored, and so would the suite; Ctrl-C is the point here.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


class Night(NamedTuple):
    storage: Path
    interrupted_code: int
    interrupted_output: str
    files_after_interrupt: list[str]
    rerun_code: int
    rerun_output: str


@background.job("night")
def _night(storage: Path) -> Night:
    """A suite run stopped by Ctrl-C while its second configuration trains, then a rerun into the same storage.

    The rerun is the throughput question's steps_per_execution=8 configuration with --bench-rounds 4
    and --bench-warmup 1, so it also shows what those options and a round of several steps are.
    """
    running = suite(storage, "benchmarks/test_batch_size.py")
    output = []
    for line in running.stdout:
        output.append(line)
        if " PASSED" in line:  # the first configuration is done, the second is training
            running.send_signal(signal.SIGINT)
            break
    output.append(running.stdout.read())
    interrupted_code = running.wait(timeout=120)
    files = sorted(p.relative_to(storage).as_posix() for p in storage.rglob("*") if p.is_file())
    rerun = suite(
        storage, "benchmarks/test_throughput.py", "-k", "one_device-bs512-acc1-mlp-adam-spe8",
        "--bench-rounds", "4", "--bench-warmup", "1",
    )  # fmt: skip
    rerun_output, _ = rerun.communicate(timeout=300)
    for process in (running, rerun):
        background.forget(process)
    return Night(storage, interrupted_code, "".join(output), files, rerun.returncode, rerun_output)


@pytest.fixture(scope="module")
def night() -> Night:
    return background.wait("night")


def test_ctrl_c_mid_suite_leaves_whole_files_only_and_a_rerun_works(night):
    assert night.interrupted_code == 2, night.interrupted_output  # pytest's 'interrupted'
    files = night.files_after_interrupt
    # no temp or partial file; the journal is kept for --bench-resume (tests/test_reliability.py)
    assert [f.rsplit("/", 1)[-1] for f in files] == ["0001_night.json", "night.journal.jsonl"], files
    first_text = (night.storage / files[0]).read_text()
    first = json.loads(first_text)
    assert first["tfbench_interrupted"] is True
    assert [b["name"] for b in first["benchmarks"]] == ["test_batch_size[one_device-bs32-acc1-mlp-adam]"]

    assert night.rerun_code == 0, night.rerun_output
    second = sorted(night.storage.rglob("*.json"))
    assert [p.name for p in second] == ["0001_night.json", "0002_night.json"]
    assert second[0].read_text() == first_text, "the interrupted run's file is never touched again"
    assert json.loads(second[1].read_text())["tfbench_interrupted"] is False


def test_rounds_and_warmup_options_and_what_a_round_is_with_several_steps_per_call(night):
    assert night.rerun_code == 0, night.rerun_output
    [bench] = json.loads(next(night.storage.rglob("0002_night.json")).read_text())["benchmarks"]
    info = bench["extra_info"]
    # One round is one block of whole calls of 8 optimizer steps. The 1 warm-up step asked for takes two
    # whole calls, 16 steps, so that a call after the tracing one sizes the block.
    assert bench["stats"]["rounds"] == 4 and info["block_steps"] % 8 == 0
    assert info["optimizer_steps"] == 16 + 4 * info["block_steps"] and info["timed_steps"] == 4 * info["block_steps"]
    assert info["train_traces"] == 1
    assert "WARNING: one_device-bs512-acc1-mlp-adam-spe8: too few rounds: 4 timed" in night.rerun_output
