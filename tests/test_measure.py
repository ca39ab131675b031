"""Memory is attributable to one configuration: TensorFlow's allocator peak is reset per run.

The input pipeline's threads make the peak vary by about 15 MiB from run to run here, so the
configurations compared differ by several times that in activation memory (conv net, 28x28).
"""

import functools

import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.engine import runner
from bench_lib.probes.memory import MemoryProbe

CNN = {"model": "cnn", "dataset": "synthetic", "steps": 2, "warmup_steps": 0}


def tf_peak(**fields):
    return _tf_peak(RunSpec(**{**CNN, **fields}))


@functools.cache
def _tf_peak(spec):
    """Measured once per spec: both comparisons below start from the batch-256, 1-step run."""
    result = runner.run(spec)
    assert result.status == "ok"
    assert result.tf_peak_mib is not None, "the library turns on TF's BFC allocator so the CPU reports its peak"
    return result.tf_peak_mib


def test_peak_memory_rises_with_batch_size_even_after_a_larger_run():
    large = tf_peak(global_batch_size=256)
    small = tf_peak(global_batch_size=32)
    assert large > small + 25


def test_peak_memory_falls_as_accumulation_steps_rise_at_a_fixed_global_batch():
    one, four, sixteen = (tf_peak(global_batch_size=256, accumulation_steps=k) for k in (1, 4, 16))
    assert one > four + 25
    assert one > sixteen + 25
    assert sixteen < four + 15, "more accumulation never needs more memory, within the noise"


def test_host_peak_is_at_least_the_growth():
    result = runner.run(RunSpec(steps=3))
    assert result.peak_rss_mib > 0
    assert 0 <= result.rss_growth_mib <= result.peak_rss_mib
    assert 0 < result.peak_anon_mib < result.peak_rss_mib  # the libraries' resident pages are left out


def test_probe_sees_an_allocation_made_between_start_and_stop():
    probe = MemoryProbe([])
    probe.start()
    block = bytearray(64 * 1024 * 1024)
    block[::4096] = b"x" * len(block[::4096])
    reading = probe.stop()
    del block
    assert reading.rss_growth_mib == pytest.approx(64, abs=16)
    assert reading.tf_peak_mib is None, "no TF devices were named"


def test_the_peak_without_shared_libraries_counts_an_allocation_and_leaves_out_a_mapped_files_pages(tmp_path):
    import mmap

    def reading_around(touch) -> object:
        probe = MemoryProbe([])
        probe.start()
        touch()
        return probe.stop()

    quiet = reading_around(lambda: None)
    held = []

    def allocate() -> None:
        block = bytearray(64 * 1024 * 1024)
        block[::4096] = b"x" * len(block[::4096])
        held.append(block)

    allocated = reading_around(allocate)
    held.clear()
    blob = tmp_path / "blob"
    blob.write_bytes(b"y" * (64 * 1024 * 1024))
    with open(blob, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        read = reading_around(lambda: sum(mapped[i] for i in range(0, len(mapped), 4096)))
    assert read.rss_growth_mib == pytest.approx(64, abs=16), "the mapped file's pages are resident"
    assert allocated.peak_anon_mib - quiet.peak_anon_mib == pytest.approx(64, abs=16)
    assert read.peak_anon_mib - quiet.peak_anon_mib == pytest.approx(0, abs=16)
