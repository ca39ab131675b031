"""The machine probe: CPU identity and driver parsed from literal /proc text, and the facts a run records."""

import pytest

from bench_lib.probes import machine

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 26
model\t\t: 2
model name\t: AMD EPYC
stepping\t: 0
flags\t\t: fpu avx2 avx512f avx512_bf16

processor\t: 1
vendor_id\t: GenuineIntel
cpu family\t: 6
"""


def test_cpu_identity_comes_from_the_first_processor():
    assert machine.parse_cpu_identity(CPUINFO) == {
        "cpu_vendor": "AuthenticAMD", "cpu_family": 26, "cpu_model_number": 2, "cpu_stepping": 0,
    }  # fmt: skip
    assert machine.parse_cpu_identity("") == {}


def test_the_nvidia_driver_version_is_the_word_after_module():
    text = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\nGCC version: 12"
    assert machine.parse_nvidia_driver(text) == "535.104.05"
    assert machine.parse_nvidia_driver("GCC version: 12") is None


def test_a_run_records_the_cpu_identity_gpus_and_tf32():
    info = machine.machine_info()
    for key in ("cpu_vendor", "cpu_family", "cpu_model_number", "cpu_stepping"):
        assert key in info  # this machine has /proc/cpuinfo
    assert info["gpu_count"] == len(info["gpu_names"]) == len(info["gpu_compute_capabilities"])
    assert isinstance(info["tf32_enabled"], bool)


@pytest.mark.parametrize(
    ("precision", "flags", "gpus", "fast"),
    [
        ("mixed_bfloat16", ["avx2", "fma"], [], False),  # AVX2: bfloat16 converted to float32
        ("mixed_bfloat16", ["avx2", "avx512f", "avx512_bf16"], [], True),
        ("mixed_bfloat16", ["avx512f", "amx_bf16", "amx_tile"], [], True),
        ("mixed_float16", ["avx512f", "avx512_bf16", "amx_bf16"], [], False),
        ("mixed_float16", ["amx_fp16"], [], True),
        ("mixed_float16", ["avx2"], ["7.0"], True),  # a GPU decides, not the host CPU
        ("mixed_bfloat16", ["amx_bf16"], ["7.5"], False),  # Turing has no bfloat16 tensor cores
        ("mixed_bfloat16", [], ["8.0", "8.6"], True),
        ("mixed_float16", [], ["8.0", None], False),  # an unknown GPU is not assumed fast
    ],
)
def test_a_mixed_precision_has_a_fast_path_where_the_flags_or_gpus_say(precision, flags, gpus, fast):
    reason = machine.no_fast_path(precision, cpu_flags=flags, gpu_capabilities=gpus)
    assert (reason is None) == fast
    if not fast:
        assert precision in reason and "\n" not in reason
