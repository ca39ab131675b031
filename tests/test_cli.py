import importlib.metadata
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench_lib.cli.main import console, main


def test_happy_path_prints_a_summary_and_writes_the_result(tmp_path, capsys):
    out = tmp_path / "out.json"
    argv = ["run", "--strategy", "mirrored", "--replicas", "2", "--batch-size", "256", "--accumulation", "2"]
    code = main([*argv, "--epochs", "2", "--dataset", "digits", "--model", "mlp", "--json", str(out)])
    printed = capsys.readouterr().out.splitlines()
    assert code == 0
    assert printed[1].startswith("epoch 1/2  loss ")
    assert printed[-2].startswith("mirrored2-bs256-acc2-mlp-adam: ok  test_acc ")
    saved = json.loads(out.read_text())
    assert saved["spec"]["accumulation_steps"] == 2 and saved["micro_batch_size"] == 64
    assert len(saved["history"]) == 2


def test_quiet_prints_no_epoch_lines(capsys):
    assert main(["run", "--steps", "3", "-q"]) == 0
    assert not any(line.startswith("epoch") for line in capsys.readouterr().out.splitlines())


def test_an_existing_json_is_never_overwritten(tmp_path, capsys):
    out = tmp_path / "out.json"
    out.write_text("mine")
    assert main(["run", "--steps", "1", "--json", str(out)]) == 2
    assert "exists already" in capsys.readouterr().err
    assert out.read_text() == "mine"


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "bench_lib", *args], capture_output=True, text=True, timeout=120)


def test_a_bad_option_is_one_line_and_no_traceback():
    done = run_cli("run", "--batch-size", "100", "--accumulation", "3")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "python -m bench_lib: error: global_batch_size=100 is not allowed: it must split evenly into "
        "replicas x accumulation_steps = 1 x 3 = 3 micro-batches (100 / 3 = 33.3333)"
    ]
    assert "Traceback" not in done.stderr


def test_a_malformed_number_is_one_line():
    done = run_cli("run", "--epochs", "three")
    assert done.returncode == 2
    assert done.stderr.strip() == "python -m bench_lib run: error: argument --epochs: invalid int value: 'three'"


def test_help_documents_every_option():
    done = run_cli("run", "--help")
    for option in ("--strategy", "--replicas", "--batch-size", "--accumulation", "--epochs", "--steps", "--optimizer",
                   "--learning-rate", "--seed", "--model", "--dropout", "--dataset", "--data-path", "--precision",
                   "--warmup-steps", "--deterministic", "--memory-limit-mib", "--json", "--quiet", "--seeds",
                   "--lr-scaling",
                   "--base-batch-size", "--warmup-epochs", "--target-accuracy", "--target-check-steps",
                   "--stop-at-target", "--sharpness-samples", "--sharpness-epsilon", "--bn", "--noise-scale-batches",
                   "--noise-scale-interval", "--hidden-units",
                   "--steps-per-execution", "--jit-compile", "--input-cache", "--prefetch-batches",
                   "--distribute-input", "--transformer-layers", "--transformer-width", "--transformer-heads",
                   "--sequence-length"):  # fmt: skip
        assert option in done.stdout


def test_the_new_options_reach_the_result(tmp_path, capsys):
    out = tmp_path / "out.json"
    argv = ["run", "--batch-size", "128", "--lr-scaling", "linear", "--base-batch-size", "32", "--warmup-epochs", "1"]
    argv += ["--epochs", "2", "--seeds", "2", "--target-accuracy", "0.3", "--target-check-steps", "2", "-q"]
    assert main([*argv, "--stop-at-target", "--sharpness-samples", "2", "--json", str(out)]) == 0
    saved = json.loads(out.read_text())
    assert saved["spec"]["lr_scaling"] == "linear" and saved["spec"]["warmup_epochs"] == 1.0
    assert saved["scaled_learning_rate"] == 0.004
    assert saved["seeds"] == [0, 1] and len(saved["seed_stats"]["test_accuracy"]["values"]) == 2
    assert saved["steps_to_target"] is not None and saved["sharpness"] is not None
    summary = capsys.readouterr().out.splitlines()[-2]
    assert " ± " in summary and "target 0.3 reached at step" in summary


def test_a_bad_new_option_is_one_line():
    done = run_cli("run", "--warmup-epochs", "2")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "python -m bench_lib: error: warmup_epochs=2.0 is not allowed: warm-up ramps from the base learning rate "
        "to the scaled one; it needs lr_scaling='linear' or 'sqrt'"
    ]


def test_bn_precision_and_noise_scale_options_reach_the_result(tmp_path, capsys):
    out = tmp_path / "out.json"
    argv = ["run", "--steps", "4", "-q", "--model", "mlp_bn", "--bn", "sync", "--precision", "mixed_bfloat16"]
    assert main([*argv, "--noise-scale-batches", "8,64", "--noise-scale-interval", "2", "--json", str(out)]) == 0
    saved = json.loads(out.read_text())
    assert saved["id"] == "one_device-bs128-acc1-mlp_bn-adam-bnsync-mixed_bfloat16"
    assert saved["spec"]["noise_scale_batch_sizes"] == [8, 64]
    assert saved["noise_scale_detail"]["measurements"] == 2
    assert saved["critical_batch_size_estimate"] == saved["noise_scale"]


def test_a_bad_noise_scale_pair_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["run", "--noise-scale-batches", "16,x"])
    assert exit.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "python -m bench_lib run: error: argument --noise-scale-batch-sizes/--noise-scale-batches: '16,x': "
        "comma-separated whole numbers"
    )
    assert main(["run", "--noise-scale-batches", "64,16"]) == 2
    assert "noise_scale_batch_sizes=(64, 16) is not allowed" in capsys.readouterr().err


def test_multi_worker_replicas_come_from_the_cluster_shape(monkeypatch, capsys):
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 1}}')
    assert main(["run", "--strategy", "multi_worker", "--replicas-per-worker", "2", "--replicas", "2"]) == 2
    assert capsys.readouterr().err == (
        "python -m bench_lib: error: replicas=2 is not allowed: multi_worker runs workers x replicas_per_worker = "
        "2 x 2 = 4 replicas (workers from TF_CONFIG)\n"
    )
    assert main(["run", "--strategy", "mirrored", "--replicas-per-worker", "2"]) == 2
    assert "replicas_per_worker=2 is not allowed: only for strategy='multi_worker'" in capsys.readouterr().err


def test_the_performance_pages_mfu_command_runs_the_wide_mlp(tmp_path, capsys):
    out = tmp_path / "wide.json"
    argv = ["run", "--dataset", "synthetic", "--model", "mlp", "--hidden-units", "512,512", "--batch-size", "512"]
    assert main([*argv, "--steps", "4", "--steps-per-execution", "2", "-q", "--json", str(out)]) == 0
    saved = json.loads(out.read_text())
    assert saved["id"] == "one_device-bs512-acc1-mlp-adam-h512x512-spe2"
    assert saved["parameters"] == 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10
    assert saved["mfu"] > 0 and saved["flops_per_step"] > 0
    assert "GFLOP/s = MFU" in capsys.readouterr().out


def test_bad_hidden_units_are_one_line():
    done = run_cli("run", "--hidden-units", "512,x")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "python -m bench_lib run: error: argument --hidden-units: '512,x': comma-separated whole numbers"
    )
    done = run_cli("run", "--hidden-units", "512,0")
    assert done.stderr.strip().startswith("python -m bench_lib: error: hidden_units=(512, 0) is not allowed")


def test_a_run_over_its_memory_limit_exits_1_with_status_oom(tmp_path, capsys):
    out = tmp_path / "out.json"
    argv = ["run", "--model", "cnn", "--dataset", "synthetic", "--steps", "3", "--memory-limit-mib", "8", "-q"]
    assert main([*argv, "--json", str(out)]) == 1
    assert ": oom: MemoryLimitExceeded: memory_limit_mib=8 exceeded" in capsys.readouterr().out
    saved = json.loads(out.read_text())
    assert saved["status"] == "oom" and saved["spec"]["memory_limit_mib"] == 8


def test_a_diverging_run_exits_1_with_the_step(tmp_path, capsys):
    out = tmp_path / "out.json"
    argv = ["run", "--optimizer", "sgd", "--learning-rate", "1e20", "--batch-size", "64", "--steps", "30", "-q"]
    assert main([*argv, "--json", str(out)]) == 1
    saved = json.loads(out.read_text())
    assert saved["status"] == "diverged" and saved["optimizer_steps"] == saved["diverged_at_step"] < 30


def test_an_unwritable_json_folder_is_refused_before_training(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = run_cli("run", "--json", str(blocker / "out.json"))
    assert done.returncode == 2
    target = str(blocker / "out.json")
    assert done.stderr.strip() == (
        f"python -m bench_lib: error: --json={target!r} is not allowed: {blocker} is a file, not a folder"
    )


def test_a_bad_declared_peak_stops_the_run_before_training(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TFBENCH_PEAK_GFLOPS", "fast")
    out = tmp_path / "out.json"
    assert main(["run", "--steps", "3", "-q", "--json", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "python -m bench_lib: error: TFBENCH_PEAK_GFLOPS='fast' is not allowed: "
        "the devices' peak in GFLOP/s, a positive number"
    )
    assert not out.exists()


def test_run_prints_only_its_own_lines_not_tensorflows_start_up_notices():
    # TensorFlow's default log level, as for a user who set nothing.
    env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}
    argv = ["run", "--dataset", "digits", "--model", "mlp", "--batch-size", "32", "--steps", "1", "-q"]
    done = subprocess.run(
        [sys.executable, "-m", "bench_lib", *argv], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr
    assert [line.split(":")[0] for line in done.stdout.splitlines()] == ["one_device-bs32-acc1-mlp-adam"] * 2
    assert done.stderr.splitlines() and all(
        line.startswith("WARNING: one_device-bs32-acc1-mlp-adam: ") for line in done.stderr.splitlines()
    ), done.stderr


def console_script() -> Path:
    script = Path(sys.executable).parent / "tfbench"
    assert script.is_file(), f"no {script}: `pip install -e .` installs the tfbench console script"
    return script


def test_the_tfbench_console_script_names_itself_in_help_and_errors():
    [entry] = importlib.metadata.entry_points(group="console_scripts", name="tfbench")
    assert entry.load() is console
    done = subprocess.run([console_script(), "run", "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("usage: tfbench run [-h]")
    done = subprocess.run([console_script(), "run", "--epochs", "three"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == "tfbench run: error: argument --epochs: invalid int value: 'three'"
    done = subprocess.run([console_script(), "launch", "--help"], capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("usage: tfbench launch --workers N ")


def test_python_m_bench_lib_names_itself_so():
    done = run_cli("launch", "--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: python -m bench_lib launch --workers N ")


def test_trace_writes_a_profiler_trace_per_configuration(tmp_path, capsys):
    code = main(["run", "--dataset", "synthetic", "--steps", "6", "--batch-size", "64", "-q", "--trace", str(tmp_path)])
    assert code == 0, capsys.readouterr()
    traces = list((tmp_path / "one_device-bs64-acc1-mlp-adam" / "plugins" / "profile").rglob("*.xplane.pb"))
    assert len(traces) == 1


def test_the_transformer_size_options_reach_the_result_and_a_preset_refuses_them(tmp_path, capsys):
    out = tmp_path / "out.json"
    argv = ["run", "--model", "transformer", "--dataset", "synthetic", "--batch-size", "8", "--steps", "2", "-q"]
    argv += ["--transformer-layers", "1", "--transformer-width", "32", "--transformer-heads", "2"]
    assert main([*argv, "--sequence-length", "16", "--json", str(out)]) == 0
    saved = json.loads(out.read_text())
    assert saved["id"] == "one_device-bs8-acc1-transformer-adam-layers1-width32-seq16"  # heads: the default
    assert [saved["spec"][f] for f in ("transformer_layers", "transformer_width", "sequence_length")] == [1, 32, 16]
    done = run_cli("run", "--model", "bert_base", "--dataset", "synthetic", "--transformer-heads", "4")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "python -m bench_lib: error: transformer_heads=4 is not allowed: model='bert_base' is fixed at 12 layers, "
        "width 768, 12 heads, sequence 128; model='transformer' takes a size"
    ]


def test_a_run_of_many_replicas_exits_as_soon_as_its_summary_is_out():
    """tf.data's teardown of the replicas' input pipeline once kept the process alive for minutes."""
    command = [sys.executable, "-m", "bench_lib", "run", "--strategy", "mirrored", "--replicas", "16", "--steps", "5"]
    process = subprocess.Popen([*command, "-q"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        summary = process.stdout.readline() and process.stdout.readline()  # the spec line, then the summary
        summary_at = time.monotonic()
        assert summary.startswith("mirrored16-bs128-acc1-mlp-adam: ok"), summary
        code = process.wait(timeout=60)  # generous: the work is done, only the exit is left
    finally:
        process.kill()
    assert code == 0
    assert time.monotonic() - summary_at < 60
