"""The models question's grid: float32 rows keep their ids; mixed precisions add rows on one_device only."""

import importlib.util
from pathlib import Path

from bench_lib.suite.profiles import FULL, QUICK

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "test_models.py"


def _grid(profile):
    spec = importlib.util.spec_from_file_location("models_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [profile.spec(**fields) for fields in module.grid(profile)]


def test_the_quick_profile_runs_float32_only():
    assert {s.precision for s in _grid(QUICK)} == {"float32"}


def test_the_full_profile_adds_both_mixed_precisions_per_family_on_one_device_only():
    specs = _grid(FULL)
    float32 = [s for s in specs if s.precision == "float32"]
    for precision in ("mixed_bfloat16", "mixed_float16"):
        mixed = [s for s in specs if s.precision == precision]
        assert {s.strategy for s in mixed} == {"one_device"}
        one_device = {(s.model, s.global_batch_size) for s in float32 if s.strategy == "one_device"}
        assert {(s.model, s.global_batch_size) for s in mixed} == one_device
        # The float32 row's id with the precision appended: the float32 ids stay what they were.
        assert all(s.id.endswith(f"-{precision}") for s in mixed)
    assert not any("float" in s.id for s in float32)


def test_the_models_findings_name_a_mixed_precision_and_the_peak_its_mfu_is_against():
    from bench_lib.questions.models import hardware_row as _hardware_row

    spec = {"model": "resnet50", "global_batch_size": 32, "strategy": "one_device"}
    row = {"examples_per_sec": 6.5, "mfu": 0.13, "peak_precision": "bfloat16"}
    mixed = _hardware_row({**row, "spec": {**spec, "precision": "mixed_bfloat16"}})
    assert (
        mixed == "resnet50 at batch 32 on one_device in mixed_bfloat16: 6.5 examples/s, MFU 0.13 of the bfloat16 peak"
    )
    # float32 rows read as before, and so do runs saved without a precision.
    assert _hardware_row({**row, "spec": spec}) == "resnet50 at batch 32 on one_device: 6.5 examples/s, MFU 0.13"
