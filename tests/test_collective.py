"""multi_worker's all-reduce settings: checked as spec fields, part of the id, and refused where they cannot run."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench_lib.config import collective
from bench_lib.config.spec import RunSpec

ROOT = Path(__file__).resolve().parents[1]
MULTI = {"strategy": "multi_worker", "workers": 2, "replicas": 2}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({**MULTI, "collective": "mpi"}, "collective='mpi' is not allowed: choose one of auto, ring, nccl"),
        ({**MULTI, "bytes_per_pack": -1}, "bytes_per_pack=-1 is not allowed: a whole number of bytes >= 0"),
        ({**MULTI, "bytes_per_pack": 1.5}, "bytes_per_pack=1.5 is not allowed"),
        ({**MULTI, "collective_timeout_s": 0}, "collective_timeout_s=0 is not allowed: seconds in (0, 86400]"),
        ({**MULTI, "collective_timeout_s": True}, "collective_timeout_s=True is not allowed"),
        ({"collective": "ring"}, "collective='ring' is not allowed: only for strategy='multi_worker'"),
        ({"strategy": "mirrored", "replicas": 2, "bytes_per_pack": 4096}, "bytes_per_pack=4096 is not allowed: only"),
        ({"collective_timeout_s": 30}, "collective_timeout_s=30 is not allowed: only for strategy='multi_worker'"),
    ],
)
def test_bad_collective_fields_are_one_line_naming_the_field(fields, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        RunSpec(**fields)


def test_the_id_carries_the_implementation_and_pack_size_but_not_the_timeout():
    assert RunSpec(**MULTI).id == "multi_worker2x1-bs128-acc1-mlp-adam"
    spec = RunSpec(**MULTI, collective="ring", bytes_per_pack=4096, collective_timeout_s=30.0)
    assert spec.id == "multi_worker2x1-bs128-acc1-mlp-adam-ring-pack4096"
    assert RunSpec.from_dict(spec.as_dict()) == spec
    assert collective.Settings.of(spec) == collective.Settings(
        collective="ring", bytes_per_pack=4096, collective_timeout_s=30.0
    )


@pytest.mark.parametrize(
    ("environ", "files", "gpus"),
    [
        ({}, [], 0),
        ({}, ["/dev/nvidia0", "/dev/nvidia1", "/dev/nvidiactl", "/dev/nvidia-uvm"], 2),
        ({"CUDA_VISIBLE_DEVICES": "1"}, ["/dev/nvidia0", "/dev/nvidia1"], 1),
        ({"CUDA_VISIBLE_DEVICES": ""}, ["/dev/nvidia0"], 0),
        ({"CUDA_VISIBLE_DEVICES": "-1"}, ["/dev/nvidia0"], 0),
    ],
)
def test_visible_gpus_counts_device_files_within_cuda_visible_devices(environ, files, gpus):
    assert collective.visible_gpus(environ, files) == gpus


def test_nccl_needs_a_gpu_for_every_replica_of_a_worker():
    spec = RunSpec(strategy="multi_worker", workers=2, replicas=4, collective="nccl")
    collective.check_machine(spec, gpus=2)
    with pytest.raises(ValueError, match=r"^collective='nccl' is not allowed: .* sees 1 for 2 replicas"):
        collective.check_machine(spec, gpus=1)
    collective.check_machine(spec.replace(collective="ring"), gpus=0)


def test_nccl_on_a_machine_without_gpus_is_one_line_before_tensorflow():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": "-1"}
    command = [sys.executable, "-X", "importtime", "-m", "bench_lib", "run", "--strategy", "multi_worker"]
    done = subprocess.run([*command, "--collective", "nccl"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    error = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert error == [
        "python -m bench_lib: error: collective='nccl' is not allowed: NCCL all-reduces between GPUs and this "
        "worker sees 0 for 1 replica (/dev/nvidia*, CUDA_VISIBLE_DEVICES); use auto or ring"
    ]
    assert "tensorflow" not in done.stderr, "TensorFlow was never imported"
