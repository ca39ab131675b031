"""Measures the memory one configuration uses: host peak RSS and TensorFlow's allocator peak.

Memory is attributed by reset-and-read within one process: before a configuration starts,
garbage is collected, freed heap is returned to the OS, the kernel's RSS high-water mark is
reset (Linux /proc/self/clear_refs) and TensorFlow's allocator peak is reset; afterwards both
peaks are read. tf_peak_mib is the allocator's peak above the bytes it already held when the
configuration started, so it counts exactly the tensors this configuration allocated. Host
RSS cannot forget memory an allocator keeps for reuse, so peak_rss_mib is the process's peak
during the configuration and rss_growth_mib what it added on top of what the process held.

RSS also counts the pages of the shared libraries (TensorFlow's among them) that the process has
mapped, and how many of those are resident depends on the page cache, not on the code: the same
run from a freshly installed copy of the same packages holds more of them. peak_anon_mib leaves
them out (the peak less the file-backed and shared-memory pages resident at the end, which only
grow while a configuration runs), so two installs or two machines compare on the memory the
configuration allocated; it is what compare judges.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
import tensorflow as tf

MIB = 1024 * 1024
_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")


class MemoryLimitExceeded(MemoryError):
    """The configuration allocated more through TensorFlow than its memory_limit_mib."""


@dataclass(frozen=True)
class MemoryReading:
    peak_rss_mib: float
    rss_growth_mib: float
    tf_peak_mib: float | None
    peak_anon_mib: float | None = None  # the peak without the file-backed pages; None where Linux does not say


class MemoryProbe:
    """Peak memory between start() and stop(); tf_devices are allocator names like 'CPU:0'."""

    def __init__(self, tf_devices: list[str]) -> None:
        self._tf_devices = tf_devices
        self._process = psutil.Process()
        self._start_rss = 0
        self._tf_start: int | None = None
        self._sampler: _RssSampler | None = None

    def start(self) -> None:
        gc.collect()
        _release_free_heap()
        self._start_rss = self._process.memory_info().rss
        if not _reset_high_water_mark():
            self._sampler = _RssSampler(self._process)
            self._sampler.start()
        for device in self._tf_devices:
            with contextlib.suppress(ValueError, tf.errors.OpError):  # no statistics on this device
                tf.config.experimental.reset_memory_stats(device)
        self._tf_start = _tf_bytes(self._tf_devices, "current")

    def stop(self) -> MemoryReading:
        status = _status_bytes()
        peak = self._sampler.stop() if self._sampler is not None else status.get("VmHWM", 0)
        peak = max(peak, self._process.memory_info().rss)
        file_backed = _file_backed_bytes(status)
        return MemoryReading(
            peak_rss_mib=peak / MIB,
            rss_growth_mib=max(0, peak - self._start_rss) / MIB,
            tf_peak_mib=self._tf_peak_mib(),
            peak_anon_mib=None if file_backed is None else max(0, peak - file_backed) / MIB,
        )

    def held_mib(self) -> float | None:
        """What TensorFlow's allocators on the probe's devices hold now, in MiB (None without statistics)."""
        held = _tf_bytes(self._tf_devices, "current")
        return None if held is None else held / MIB

    def limit_check(self, limit_mib: int) -> Callable[[], None]:
        """A check that raises MemoryLimitExceeded once the TensorFlow peak so far exceeds limit_mib.

        The allocator's peak counter sees every allocation, so nothing between two checks is
        missed; what is late is the reaction: the step that crossed the limit has finished.

        Raises:
          RuntimeError: TensorFlow keeps no allocator statistics here, so no limit can be enforced.
        """
        if self._tf_peak_mib() is None:
            raise RuntimeError(
                f"memory_limit_mib={limit_mib} cannot be enforced: TensorFlow keeps no allocator statistics "
                f"for {', '.join(self._tf_devices) or 'these devices'} (is TF_CPU_ALLOCATOR_USE_BFC=false?)"
            )

        def check() -> None:
            used = self._tf_peak_mib()
            if used is not None and used > limit_mib:
                raise MemoryLimitExceeded(
                    f"memory_limit_mib={limit_mib} exceeded: TensorFlow allocations peaked at {used:,.1f} MiB"
                )

        return check

    def _tf_peak_mib(self) -> float | None:
        peak = _tf_bytes(self._tf_devices, "peak")
        if peak is None or self._tf_start is None:
            return None
        return max(0, peak - self._tf_start) / MIB


def step_peak_bytes(tf_devices: list[str], run_step: Callable[[], object]) -> int | None:
    """The allocator bytes one call of run_step takes at its peak above what was held before it.

    That is the step's transient memory (activations, gradients, temporaries, and the next batch
    the pipeline prepares meanwhile); what is held before (variables, the pipeline's copies of the
    data) is not in it. None where TensorFlow keeps no statistics. Resets the allocators' peak,
    so call it only once the configuration's own peak has been read.
    """
    before = _tf_bytes(tf_devices, "current")
    for device in tf_devices:
        with contextlib.suppress(ValueError, tf.errors.OpError):
            tf.config.experimental.reset_memory_stats(device)
    run_step()
    peak = _tf_bytes(tf_devices, "peak")
    return None if before is None or peak is None else max(0, peak - before)


def _tf_bytes(devices: list[str], key: str) -> int | None:
    """Summed allocator 'current' or 'peak' bytes, or None where TensorFlow keeps no statistics."""
    if not devices:
        return None
    total = 0
    for device in devices:
        try:
            total += tf.config.experimental.get_memory_info(device)[key]
        except (ValueError, tf.errors.OpError):
            return None
    return total


def _release_free_heap() -> None:
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _reset_high_water_mark() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return _high_water_mark() > 0


def _status_bytes() -> dict[str, int]:
    """The memory sizes of /proc/self/status in bytes, by name (VmHWM, RssFile, ...); {} where there is none."""
    try:
        lines = _STATUS.read_text().splitlines()
    except OSError:
        return {}
    sizes = {}
    for line in lines:
        name, _, value = line.partition(":")
        if value.strip().endswith(" kB"):
            sizes[name] = int(value.split()[0]) * 1024
    return sizes


def _file_backed_bytes(status: dict[str, int]) -> int | None:
    """The resident file-backed and shared-memory bytes (RssFile + RssShmem), or None without them."""
    if "RssFile" not in status or "RssShmem" not in status:
        return None
    return status["RssFile"] + status["RssShmem"]


def _high_water_mark() -> int:
    return _status_bytes().get("VmHWM", 0)


class _RssSampler:
    """Polls RSS every few milliseconds where the kernel keeps no resettable high-water mark."""

    def __init__(self, process: psutil.Process, interval_s: float = 0.005) -> None:
        self._process = process
        self._interval_s = interval_s
        self._peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self._peak

    def _poll(self) -> None:
        while not self._done.is_set():
            self._peak = max(self._peak, self._process.memory_info().rss)
            self._done.wait(self._interval_s)
