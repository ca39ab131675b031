"""Tells whether saved runs measured the same hardware, how they differ, and whether the machine was busy.

Reads the machine info of saved runs (probes.machine records it; runs saved before a fact was
recorded fall back to pytest-benchmark's own `cpu` section where it holds the same fact). A fact
that one of two runs did not record is not compared. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import json

# Facts that identify the hardware a run measured and the arithmetic it used; trend keeps runs
# that differ in any of them (or in SETUP_KEYS) in separate histories.
HARDWARE_KEYS = (
    "cpu_model", "cpu_vendor", "cpu_family", "cpu_model_number", "cpu_stepping", "cpu_precision_flags",
    "cpu_cores_logical", "cpu_cores_physical", "memory_total_mib",
    "gpu_names", "gpu_compute_capabilities", "gpu_driver", "tf32_enabled",
)  # fmt: skip
SOFTWARE_KEYS = ("tensorflow", "keras", "python_version", "tf_built_with_cuda", "tf_env", "system", "release")
SETUP_KEYS = ("tfbench_profile", "logical_cpu_devices", "logical_gpu_devices", "tfbench_collective", "tfbench_threads")
# Where pytest-benchmark's `cpu` section (py-cpuinfo) holds a fact of runs saved before tfbench recorded it.
CPUINFO_FALLBACK = {"cpu_vendor": "vendor_id_raw", "cpu_family": "family", "cpu_model_number": "model",
                    "cpu_stepping": "stepping"}  # fmt: skip
# A run counts as measured under load from this load average (or other processes' busy cores) per core.
LOAD_PER_CORE = 0.5


def fact(machine: dict, key: str) -> object:
    """One fact of a run's machine info; None when the run did not record it."""
    value = machine.get(key)
    if value is None and key in CPUINFO_FALLBACK:
        cpu = machine.get("cpu")
        value = cpu.get(CPUINFO_FALLBACK[key]) if isinstance(cpu, dict) else None
    return value


def _differing(base: dict, new: dict, keys: tuple[str, ...]) -> list[str]:
    return [k for k in keys if None not in (fact(base, k), fact(new, k)) and fact(base, k) != fact(new, k)]


def same_hardware(base: dict, new: dict) -> bool:
    """Whether two runs measured the same hardware with the same suite set-up (facts both recorded)."""
    return not _differing(base, new, (*HARDWARE_KEYS, *SETUP_KEYS))


def hardware_differs(base: dict, new: dict) -> bool:
    """Whether two runs measured different hardware (a fact of HARDWARE_KEYS both recorded differs)."""
    return bool(_differing(base, new, HARDWARE_KEYS))


def differences(base: dict, new: dict) -> list[str]:
    """One 'key: base -> new' line per hardware, software or set-up fact both runs recorded and differ in."""
    keys = _differing(base, new, (*HARDWARE_KEYS, *SOFTWARE_KEYS, *SETUP_KEYS))
    return [f"{k}: {_show(fact(base, k))} -> {_show(fact(new, k))}" for k in keys]


def _show(value: object) -> str:
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True) if value else "none"
    return str(value)


def load_warning(name: str, machine: dict) -> str | None:
    """One line when a run was measured under load, naming the figure and the limit; None otherwise.

    Under load: the cores other processes kept busy during the run reached LOAD_PER_CORE times
    the logical cores. A run saved before that was recorded is judged by its 1-minute load average
    at the start instead, which lags: right after an install or a previous run it still counts
    them, and it called quiet runs loaded. The load average at the end is never judged: it counts
    the suite's own threads.
    """
    cores = machine.get("cpu_cores_logical")
    if not isinstance(cores, int) or cores < 1:
        return None
    limit = LOAD_PER_CORE * cores
    found = []
    start = machine.get("load_average_start")
    others = machine.get("others_cpu_cores")
    measured = isinstance(others, int | float)
    if not measured and isinstance(start, list) and start and isinstance(start[0], int | float) and start[0] >= limit:
        found.append(f"load average {start[0]:.2f} at the start")
    if measured and others >= limit:
        found.append(f"other processes kept {others:.2f} cores busy during the run")
    if not found:
        return None
    limit_text = f"limit {limit:g}: {LOAD_PER_CORE:g} a core of {cores}"
    return f"{name} was measured under load: {' and '.join(found)} ({limit_text})"
