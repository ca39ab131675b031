"""Finds the largest global batch size that trains within a memory limit: doubling, then bisection.

A batch size "fits" when one optimizer step of it allocates at most limit_mib through
TensorFlow (the result's tf_peak_mib, the same figure memory_limit_mib limits) and TensorFlow
itself raises no out-of-memory error. The search doubles from `start` until a batch does not
fit (or the training set is exhausted), then bisects between the last fit and the first
failure until they are `resolution` examples apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import tensorflow as tf

from bench_lib.config.spec import RunSpec
from bench_lib.engine import data as data_lib
from bench_lib.engine import runner


@dataclass(frozen=True, kw_only=True)
class BatchSearch:
    """The boundary: max_batch_size fits, min_failing_batch_size does not (None: never reached)."""

    spec_id: str
    limit_mib: int
    max_batch_size: int | None
    min_failing_batch_size: int | None
    resolution: int
    trials: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def bracket(fits: Callable[[int], bool], *, start: int, ceiling: int, unit: int, resolution: int) -> tuple:
    """(largest fitting, smallest failing) batch size among multiples of `unit` in [start, ceiling].

    Either may be None: nothing fits at `start`, or everything up to `ceiling` fits.
    Calls fits() about log2(ceiling / start) + log2(gap / resolution) times.
    """
    if not fits(start):
        return None, start
    good, bad = start, None
    while bad is None:
        candidate = min(good * 2, ceiling // unit * unit)
        if candidate <= good:
            return good, None
        if fits(candidate):
            good = candidate
        else:
            bad = candidate
    while bad - good > max(resolution, unit):
        middle = (good + bad) // 2 // unit * unit
        if middle <= good:
            break
        if fits(middle):
            good = middle
        else:
            bad = middle
    return good, bad


def max_batch_size(
    spec: RunSpec, *, limit_mib: int, start: int, resolution: int, ceiling: int | None = None
) -> BatchSearch:
    """Searches global_batch_size for `spec` (its other fields kept) under limit_mib, up to `ceiling`.

    ceiling None: the training set's size at `start`. Synthetic data at a model's own shape grows
    with the batch, so a search over it names its own ceiling, which also bounds what it costs.

    Raises:
      ValueError, FileNotFoundError: as runner.prepare, e.g. start exceeds the training set.
      RuntimeError: a trial failed for a reason other than memory.
    """
    trials: list[dict[str, object]] = []
    unit = spec.replicas * spec.accumulation_steps

    def fits(batch_size: int) -> bool:
        trial = _trial(spec.replace(global_batch_size=batch_size, steps=1, warmup_steps=0, memory_limit_mib=limit_mib))
        trials.append(trial)
        return trial["status"] == "ok"

    if ceiling is None:
        ceiling = len(data_lib.load(spec.replace(global_batch_size=start)).x_train)
    good, bad = bracket(fits, start=start, ceiling=ceiling, unit=unit, resolution=resolution)
    return BatchSearch(
        spec_id=spec.id.replace(f"-bs{spec.global_batch_size}-", "-bs*-"),
        limit_mib=limit_mib,
        max_batch_size=good,
        min_failing_batch_size=bad,
        resolution=resolution,
        trials=trials,
    )


def _trial(spec: RunSpec) -> dict[str, object]:
    """One optimizer step of spec; 'ok' when its TensorFlow peak stayed within memory_limit_mib."""
    prepared = runner.prepare(spec)
    try:
        prepared.loop.step()
        peak = prepared.probe.stop().tf_peak_mib
        status = "ok" if peak <= spec.memory_limit_mib else "oom"
        error = None
    except tf.errors.ResourceExhaustedError as oom:
        peak, status, error = None, "oom", runner.error_line(oom)
    except tf.errors.OpError as other:
        raise RuntimeError(f"{spec.id}: {runner.error_line(other)}") from None
    finally:
        runner.release(prepared)
    return {"global_batch_size": spec.global_batch_size, "status": status, "tf_peak_mib": peak, "error": error}
