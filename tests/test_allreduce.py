"""All-reduce bandwidth: nccl-tests' figures from literal timings, and the probe on two mirrored replicas."""

import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.maths import allreduce_figures as allreduce


def test_busbw_is_algbw_times_two_n_minus_one_over_n():
    assert [allreduce.bus_factor(n) for n in (1, 2, 4, 8)] == [0.0, 1.0, 1.5, 1.75]
    row = allreduce.row(256 * allreduce.MIB, 0.5, replicas=4)
    assert row["algbw_gbps"] == pytest.approx(256 * 2**20 / 0.5 / 1e9)
    assert row["busbw_gbps"] == pytest.approx(row["algbw_gbps"] * 1.5)
    assert row["time_us"] == pytest.approx(500_000)


def test_the_default_sweep_is_1_kib_to_256_mib_and_every_worker_times_the_same_count():
    assert allreduce.DEFAULT_SIZES[0] == 1024 and allreduce.DEFAULT_SIZES[-1] == 256 * 2**20
    assert [allreduce.iterations_for(s) for s in (1024, 2**20, 16 * 2**20, 256 * 2**20)] == [50, 50, 4, 3]


def test_latency_is_the_median_time_of_the_small_sizes():
    rows = [allreduce.row(s, t, 2) for s, t in ((1024, 1e-4), (4096, 3e-4), (16384, 2e-4), (65536, 9e-4))]
    assert allreduce.small_size_latency_us(rows) == pytest.approx(200)
    assert allreduce.small_size_latency_us(rows[3:]) is None


@pytest.mark.parametrize(("text", "size"), [("4096", 4096), ("1KiB", 1024), ("256 MiB", 256 * 2**20), ("1gib", 2**30)])
def test_sizes_read_with_binary_units(text, size):
    assert allreduce.parse_size(text) == size


@pytest.mark.parametrize("text", ["1x", "0", "2B", "-4KiB", "MiB"])
def test_a_bad_size_is_one_line(text):
    with pytest.raises(ValueError, match=rf"^size='{text}' is not allowed: bytes >= 4"):
        allreduce.parse_size(text)


def test_the_probe_times_every_size_on_two_mirrored_replicas():
    from bench_lib.engine import strategy
    from bench_lib.probes import allreduce_timing as probe

    strategy.configure_devices(2)
    rows = probe.measure(strategy.build_strategy(RunSpec(strategy="mirrored", replicas=2)), (1024, 4096))
    assert [r["size_bytes"] for r in rows] == [1024, 4096]
    assert all(r["time_us"] > 0 and r["busbw_gbps"] == pytest.approx(r["algbw_gbps"]) for r in rows)


def test_the_command_prints_the_table_and_saves_the_rows(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "allreduce.json"
    command = [sys.executable, "-m", "bench_lib", "allreduce", "--strategy", "mirrored", "--max-size", "4KiB"]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([*command, "--json", str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "mirrored2-bs2-acc1-mlp-adam: all-reduce of float32 buffers over 2 replicas (1 worker)"
    assert [line.split()[:2] for line in lines[2:4]] == [["1", "KiB"], ["4", "KiB"]]
    assert lines[4].startswith("latency (median time up to 16 KiB): ")
    saved = json.loads(out.read_text())
    assert [r["size_bytes"] for r in saved["rows"]] == [1024, 4096] and saved["spec"]["replicas"] == 2
    again = subprocess.run([*command, "--json", str(out)], env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "exists already" in again.stderr, "never overwritten"


def test_the_time_at_a_size_between_two_measured_ones_follows_the_power_law_through_both():
    rows = [allreduce.row(s, t, 2) for s, t in ((256 * 1024, 1e-4), (4 * 2**20, 16e-4))]
    assert allreduce.seconds_at(rows, 2**20) == pytest.approx(4e-4)  # halfway in log size: the geometric mean
    assert allreduce.seconds_at(rows, 4 * 2**20) == pytest.approx(16e-4)
    assert allreduce.seconds_at(rows, 1024) == pytest.approx(1e-4), "below the sweep: its latency"
    assert allreduce.seconds_at(rows, 8 * 2**20) == pytest.approx(32e-4), "above it: the largest size's algbw"
    with pytest.raises(ValueError, match=r"^rows=\[\] is not allowed"):
        allreduce.seconds_at([], 1024)


def _training(parameters, step_ms, **fields):
    spec = RunSpec(dataset="synthetic", **fields)
    step = {"median": step_ms}
    return {"id": spec.id, "spec": spec.as_dict(), "status": "ok", "parameters": parameters, "step_time_ms": step}


def test_the_share_pairs_each_training_run_with_the_sweep_on_its_all_reduce():
    sweep = allreduce.sweep(
        "mirrored2-bs2-acc1-mlp-adam",
        RunSpec(strategy="mirrored", replicas=2, global_batch_size=2).as_dict(),
        [allreduce.row(s, t, 2) for s, t in ((256 * 1024, 1e-4), (4 * 2**20, 16e-4))],
    )
    results = [
        _training(2**18, 4.0, strategy="mirrored", replicas=2, global_batch_size=256),  # 1 MiB of gradients
        _training(2**18, 4.0, strategy="mirrored", replicas=2, global_batch_size=256),  # the same, asked again
        _training(2**18, 4.0, global_batch_size=256),  # one replica: no all-reduce
        _training(2**18, 4.0, strategy="mirrored", replicas=3, global_batch_size=255),  # no sweep on 3 replicas
        _training(2**24, 40.0, strategy="mirrored", replicas=2, global_batch_size=64),  # 64 MiB: beyond the sweep
    ]
    rows = allreduce.communication_share_rows([sweep], results)
    assert [(r["id"], r["within_sweep"]) for r in rows] == [
        ("mirrored2-bs256-acc1-mlp-adam", True),
        ("mirrored2-bs64-acc1-mlp-adam", False),
    ]
    assert rows[0]["gradient_mib"] == 1.0 and rows[0]["all_reduce_ms"] == pytest.approx(0.4)
    assert rows[0]["share"] == pytest.approx(0.1)
    assert rows[1]["all_reduce_ms"] == pytest.approx(1.6 * 16)
