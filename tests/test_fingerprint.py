"""The hardware fingerprint and the load warning on literal machine dicts, and the example run against a newer CPU."""

import json
from pathlib import Path

from bench_lib.cli.main import main
from bench_lib.probes import load
from bench_lib.record import fingerprint

EXAMPLE = Path(__file__).resolve().parents[1] / "reports" / "example" / "0001_example.json"
ZEN3 = {"cpu_model": "AMD EPYC", "cpu_vendor": "AuthenticAMD", "cpu_family": 25, "cpu_model_number": 1,
        "cpu_stepping": 1, "cpu_precision_flags": ["avx2", "fma", "f16c"], "cpu_cores_logical": 2,
        "memory_total_mib": 24106, "gpu_names": [], "tf32_enabled": True, "tensorflow": "2.21.0"}  # fmt: skip


def test_another_cpu_generation_behind_the_same_brand_string_differs():
    zen5 = {**ZEN3, "cpu_family": 26, "cpu_precision_flags": ["avx2", "fma", "f16c", "avx512f", "avx512_bf16"]}
    assert fingerprint.differences(ZEN3, zen5) == [
        "cpu_family: 25 -> 26",
        'cpu_precision_flags: ["avx2", "fma", "f16c"] -> ["avx2", "fma", "f16c", "avx512f", "avx512_bf16"]',
    ]
    assert not fingerprint.same_hardware(ZEN3, zen5)
    assert fingerprint.same_hardware(ZEN3, {**ZEN3, "tensorflow": "2.22.0"})  # software may change along a trend


def test_gpu_and_tf32_facts_differ():
    a100 = {**ZEN3, "gpu_names": ["NVIDIA A100"], "gpu_compute_capabilities": ["8.0"], "gpu_driver": "535.104.05"}
    h100 = {**a100, "gpu_names": ["NVIDIA H100"], "gpu_compute_capabilities": ["9.0"], "gpu_driver": "550.54.15"}
    assert len(fingerprint.differences(a100, h100)) == 3
    assert fingerprint.differences(a100, {**a100, "tf32_enabled": False}) == ["tf32_enabled: True -> False"]


def test_a_fact_one_run_did_not_record_is_not_compared():
    old = {k: v for k, v in ZEN3.items() if k not in ("cpu_family", "tf32_enabled")}
    assert fingerprint.differences(old, ZEN3) == [] and fingerprint.same_hardware(old, ZEN3)


def test_runs_saved_before_the_cpu_identity_read_it_from_pytest_benchmarks_cpu_section():
    old = {"cpu_model": "AMD EPYC", "cpu": {"vendor_id_raw": "AuthenticAMD", "family": 25, "model": 1, "stepping": 1}}
    assert [fingerprint.fact(old, k) for k in ("cpu_vendor", "cpu_family", "cpu_model_number", "cpu_stepping")] == [
        "AuthenticAMD", 25, 1, 1,
    ]  # fmt: skip
    assert fingerprint.differences(old, {**ZEN3, "cpu_family": 26}) == ["cpu_family: 25 -> 26"]


def test_the_example_run_against_a_newer_cpu_prints_the_banner(tmp_path, capsys):
    data = json.loads(EXAMPLE.read_text())
    newer = json.loads(EXAMPLE.read_text())
    newer["machine_info"]["cpu"]["family"] = 26  # as pytest-benchmark saw it; the old run has no cpu_family
    newer["machine_info"].update(cpu_family=26, cpu_precision_flags=["avx2", "fma", "f16c", "avx512f"])
    base, new = tmp_path / "0001_a.json", tmp_path / "0002_b.json"
    base.write_text(json.dumps(data))
    new.write_text(json.dumps(newer))
    assert main(["compare", str(base), str(new), "--reports", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "WARNING: the two runs differ in hardware or software:" in err and "cpu_family: 25 -> 26" in err


def test_a_run_under_load_is_named_with_its_figure_and_the_limit():
    quiet = {"cpu_cores_logical": 2, "load_average_start": [0.3, 0.5, 0.4], "others_cpu_cores": 0.2}
    assert fingerprint.load_warning("0001_a", quiet) is None
    assert fingerprint.load_warning("0001_a", {"cpu_cores_logical": 2}) is None  # saved before load was recorded
    # A 1-minute average that still holds the install or the previous run: the run itself was quiet.
    assert fingerprint.load_warning("0002_b", {**quiet, "load_average_start": [1.2, 0.9, 0.5]}) is None
    older = {"cpu_cores_logical": 2, "load_average_start": [1.2, 0.9, 0.5]}  # saved before others_cpu_cores
    assert fingerprint.load_warning("0002_b", older) == (
        "0002_b was measured under load: load average 1.20 at the start (limit 1: 0.5 a core of 2)"
    )
    crowded = {**quiet, "others_cpu_cores": 1.5, "load_average_end": [3.0, 2.0, 1.0]}  # the end counts the suite
    assert fingerprint.load_warning("0003_c", crowded) == (
        "0003_c was measured under load: other processes kept 1.50 cores busy during the run (limit 1: 0.5 a core of 2)"
    )


def test_other_processes_cores_are_the_busy_time_not_spent_by_this_process():
    start = load.LoadSnapshot(wall_s=100.0, load_average=(0.5, 0.4, 0.3), busy_cpu_s=1000.0, own_cpu_s=10.0)
    end = load.LoadSnapshot(wall_s=200.0, load_average=(1.9, 1.2, 0.6), busy_cpu_s=1180.0, own_cpu_s=160.0)
    assert load.others_cpu_cores(start, end) == 0.3  # 180 s busy, 150 s of them this process, over 100 s
    assert load.load_facts(start, end) == {
        "load_average_start": [0.5, 0.4, 0.3], "load_average_end": [1.9, 1.2, 0.6], "others_cpu_cores": 0.3,
    }  # fmt: skip
    assert load.others_cpu_cores(start, start) is None
