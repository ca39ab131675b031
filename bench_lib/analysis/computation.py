"""Tells, in words, how two runs' training steps differ in what they compute: exact counts, no noise.

Each result saves its traced step's fingerprint under `computation` (bench_lib/probes/step_graph.py
counts it). Two runs of the same code have equal fingerprints however noisy their timings, so a
difference is a fact, decided before any timing verdict: the model, the optimizer, the strategy or
TensorFlow's own lowering of the step changed. A run saved before fingerprints existed, or a
configuration that failed before its step was read, has none and is not compared. Nothing here
imports TensorFlow.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench_lib.record.history import SavedRun

# The fingerprint's single counts, in the order their differences are told, with their names in words.
COUNTS = (
    ("parameters", "parameters"),
    ("variables", "variables"),
    ("flops", "FLOPs"),
    ("output_bytes", "bytes of op outputs"),
    ("collective_bytes", "bytes exchanged by collectives"),
    ("device_copies", "copies between devices"),
    ("device_copy_bytes", "bytes copied between devices"),
    ("host_device_copies", "host-device copies"),
    ("host_device_copy_bytes", "bytes copied between host and device"),
)
# Op types listed in one difference before the rest are summed up as "and N more".
LISTED_OP_TYPES = 8
# Op types that move, hold or name values rather than compute: told after those that compute.
BOOKKEEPING_OPS = frozenset({"Const", "Placeholder", "Identity", "IdentityN", "NoOp", "ReadVariableOp"})


def differences(base: Mapping[str, object] | None, new: Mapping[str, object] | None) -> list[str]:
    """What changed from the base fingerprint to the new one, one phrase per kind; [] when equal or either is absent.

    e.g. ["model ops: MatMul 5→7, BiasAdd 2→3, …", "parameters 101,770→118,282"]. Op types that
    compute come before BOOKKEEPING_OPS, each by the size of its change, largest first, then by
    name; the optimizer's own ops apart
    from the model's, so replacing Adam by SGD reads as one optimizer change (a model side that
    differs in BOOKKEEPING_OPS only is told only when nothing else differs).
    """
    if not base or not new:
        return []
    out = []
    model_base, model_new = _without(base, "optimizer_ops"), _without(new, "optimizer_ops")
    model_ops = _op_changes(model_base, model_new)
    if model_ops:
        out.append(f"model ops: {model_ops}")
    optimizer_ops = _op_changes(_counts(base, "optimizer_ops"), _counts(new, "optimizer_ops"))
    optimizers = base.get("optimizer"), new.get("optimizer")
    if optimizers[0] != optimizers[1] and None not in optimizers:
        out.append(f"optimizer {optimizers[0]}→{optimizers[1]}" + (f" ({optimizer_ops})" if optimizer_ops else ""))
    elif optimizer_ops:
        out.append(f"optimizer ops: {optimizer_ops}")
    collectives = _op_changes(_counts(base, "collectives"), _counts(new, "collectives"))
    if collectives:
        out.append(f"collectives: {collectives}")
    for key, words in COUNTS:
        b, n = base.get(key), new.get(key)
        if isinstance(b, int) and isinstance(n, int) and b != n:
            out.append(f"{words} {b:,}→{n:,}")
    if model_ops and len(out) > 1 and _only_bookkeeping(model_base, model_new):
        out.pop(0)  # a captured value more or less beside a real change: the real change says it
    return out


def _only_bookkeeping(base: Mapping[str, int], new: Mapping[str, int]) -> bool:
    return all(op in BOOKKEEPING_OPS for op in {*base, *new} if base.get(op, 0) != new.get(op, 0))


def _counts(fingerprint: Mapping[str, object], key: str) -> dict[str, int]:
    value = fingerprint.get(key)
    return dict(value) if isinstance(value, Mapping) else {}


def _without(fingerprint: Mapping[str, object], key: str) -> dict[str, int]:
    """op_counts less the ops counted under `key` (the optimizer's): the model's, loss's and step's own."""
    ops, part = _counts(fingerprint, "op_counts"), _counts(fingerprint, key)
    return {op: count - part.get(op, 0) for op, count in ops.items() if count - part.get(op, 0)}


def _op_changes(base: Mapping[str, int], new: Mapping[str, int]) -> str:
    """'MatMul 5→7, Relu 1→2' over the op types whose count differs: computing ops first, each by largest change."""
    changed = [(op, base.get(op, 0), new.get(op, 0)) for op in {*base, *new} if base.get(op, 0) != new.get(op, 0)]
    changed.sort(key=lambda c: (c[0] in BOOKKEEPING_OPS, -abs(c[2] - c[1]), c[0]))
    words = ", ".join(f"{op} {b}→{n}" for op, b, n in changed[:LISTED_OP_TYPES])
    rest = len(changed) - LISTED_OP_TYPES
    return words + (f" and {rest} more op types" if rest > 0 else "")


@dataclass(frozen=True)
class ComputationChange:
    """One benchmark whose traced step computes something else in `new` than in `base` (run names)."""

    key: str
    base: str
    new: str
    differences: tuple[str, ...]

    def line(self) -> str:
        return f"`{self.key}` ({self.base} → {self.new}): {'; '.join(self.differences)}"


def changed(base: SavedRun, new: SavedRun) -> list[ComputationChange]:
    """Every benchmark both runs have whose fingerprints differ, in key order."""
    base_keys, new_keys = base.by_key(), new.by_key()
    out = []
    for key in sorted(base_keys.keys() & new_keys.keys()):
        found = differences(base_keys[key].result.get("computation"), new_keys[key].result.get("computation"))
        if found:
            out.append(ComputationChange(key, base.name, new.name, tuple(found)))
    return out


def changed_in_history(runs: Sequence[SavedRun]) -> list[ComputationChange]:
    """For each benchmark of the newest run (runs oldest first), every change between two runs of the history
    that follow each other among those with its fingerprint; newest change first, then by key."""
    out = []
    for key in sorted(runs[-1].by_key()) if runs else ():
        fingerprinted = [
            (index, run.name, bench.result["computation"])
            for index, run in enumerate(runs)
            if (bench := run.by_key().get(key)) is not None and bench.result.get("computation")
        ]
        for (_, before, old), (index, after, current) in itertools.pairwise(fingerprinted):
            found = differences(old, current)
            if found:
                out.append((-index, ComputationChange(key, before, after, tuple(found))))
    return [change for _, change in sorted(out, key=lambda pair: (pair[0], pair[1].key))]
