"""Checks multi_worker's all-reduce settings (TensorFlow's CommunicationOptions) before TensorFlow starts.

`collective` picks the implementation: auto lets TensorFlow choose, ring is gRPC ring all-reduce
(CPUs and GPUs), nccl is NVIDIA's library (GPUs only). `bytes_per_pack` splits the gradients into
packs of about that many bytes, one all-reduce each (0: TensorFlow's default, one pack).
`collective_timeout_s` makes a collective that has not finished after that many seconds fail
instead of waiting forever for a worker that stopped. Pure Python: the machine check looks for
NVIDIA device files, not at TensorFlow.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from bench_lib.config.refusal import fail
from bench_lib.config.wording import count

COLLECTIVES = ("auto", "ring", "nccl")
DEFAULTS = {"collective": "auto", "bytes_per_pack": 0, "collective_timeout_s": None}
_MAX_TIMEOUT_S = 86400


class _Spec(Protocol):
    strategy: str
    replicas_per_worker: int
    collective: str
    bytes_per_pack: int
    collective_timeout_s: float | None


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The all-reduce settings of one process's multi_worker strategy (fixed when it is created)."""

    collective: str = "auto"
    bytes_per_pack: int = 0
    collective_timeout_s: float | None = None

    @classmethod
    def of(cls, spec: _Spec) -> Settings:
        return cls(**{name: getattr(spec, name) for name in DEFAULTS})

    def describe(self) -> str:
        """e.g. "collective='ring', bytes_per_pack=4096, collective_timeout_s=None"."""
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in DEFAULTS)


def check_fields(spec: _Spec) -> None:
    """The values themselves; the other strategies must keep the defaults.

    Raises:
      ValueError: naming the field, its value and what is allowed.
    """
    if spec.collective not in COLLECTIVES:
        fail("collective", spec.collective, "choose one of " + ", ".join(COLLECTIVES))
    pack = spec.bytes_per_pack
    if isinstance(pack, bool) or not isinstance(pack, int) or pack < 0:
        fail("bytes_per_pack", pack, "a whole number of bytes >= 0 (0: one pack)")
    t = spec.collective_timeout_s
    if t is not None and (isinstance(t, bool) or not isinstance(t, int | float) or not 0 < t <= _MAX_TIMEOUT_S):
        fail("collective_timeout_s", t, f"seconds in (0, {_MAX_TIMEOUT_S}], or None for no timeout")
    if spec.strategy != "multi_worker":
        for name, default in DEFAULTS.items():
            if getattr(spec, name) != default:
                fail(name, getattr(spec, name), f"only for strategy='multi_worker'; leave it at {default!r}")


def id_suffixes(spec: _Spec) -> list[str]:
    """What a spec id adds for settings other than the defaults, e.g. ['ring', 'pack4194304'].

    The timeout changes no figure, so it is not part of the id.
    """
    suffixes = [spec.collective] if spec.collective != "auto" else []
    return suffixes + ([f"pack{spec.bytes_per_pack}"] if spec.bytes_per_pack else [])


def visible_gpus(environ: Mapping[str, str] | None = None, device_files: list[str] | None = None) -> int:
    """NVIDIA GPUs this process may use: /dev/nvidia0, /dev/nvidia1, ... limited by CUDA_VISIBLE_DEVICES."""
    environ = os.environ if environ is None else environ
    files = glob.glob("/dev/nvidia[0-9]*") if device_files is None else device_files
    count = sum(1 for f in files if os.path.basename(f)[len("nvidia") :].isdigit())
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return count
    chosen = [d for d in visible.split(",") if d.strip()]
    if chosen and chosen[0].strip() == "-1":
        return 0
    return min(count, len(chosen))


def check_machine(spec: _Spec, gpus: int) -> None:
    """Whether this machine, with `gpus` visible GPUs, can run the spec's collective.

    Raises:
      ValueError: collective='nccl' with fewer GPUs than replicas per worker.
    """
    if spec.collective == "nccl" and gpus < spec.replicas_per_worker:
        fail(
            "collective",
            spec.collective,
            f"NCCL all-reduces between GPUs and this worker sees {gpus} for "
            f"{count(spec.replicas_per_worker, 'replica')} (/dev/nvidia*, CUDA_VISIBLE_DEVICES); use auto or ring",
        )
