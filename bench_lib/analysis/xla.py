"""Explains XLA's effect on the step in the throughput question: each XLA configuration against its twin without XLA.

On CPU, XLA compiles Keras's Dropout (a random mask drawn every step) into a step several times
slower than the one TensorFlow runs without XLA, while the same model without Dropout runs as
fast or a little faster with XLA. The throughput grid holds both pairs, so the sentence here can
say which effect the measurements show instead of leaving a slower XLA step unexplained.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench_lib.maths import stats

# An XLA/plain ratio below SLOW counts as slower, at or above SAME as no slower.
SLOW, SAME = 0.8, 0.9


def xla_pairs(results: list[Mapping[str, object]]) -> list[tuple[Mapping[str, object], float]]:
    """(the XLA run's spec, its examples/s over its twin's without XLA) for each XLA run with a twin."""
    plain = {_key(r["spec"]): r for r in results if not r["spec"].get("jit_compile")}
    pairs = []
    for r in results:
        twin = plain.get(_key(r["spec"])) if r["spec"].get("jit_compile") else None
        if twin and r.get("examples_per_sec") and twin.get("examples_per_sec"):
            pairs.append((r["spec"], r["examples_per_sec"] / twin["examples_per_sec"]))
    return pairs


def _key(spec: Mapping[str, object]) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in spec.items() if k != "jit_compile"))


def xla_dropout(results: list[Mapping[str, object]]) -> list[str]:
    """One sentence on XLA's speed with and without Dropout, or none without an XLA pair."""
    pairs = xla_pairs(results)
    if not pairs:
        return []
    with_dropout = [ratio for spec, ratio in pairs if spec.get("dropout", 0.2) > 0]
    without = [ratio for spec, ratio in pairs if spec.get("dropout", 0.2) == 0]
    parts = []
    if with_dropout:
        parts.append(f"{stats.median(with_dropout):.2f}× the examples/s without XLA where the model has Dropout")
    if without:
        parts.append(f"{stats.median(without):.2f}× where it has none")
    sentence = "XLA (jit_compile) on this device: " + ", ".join(parts) + "."
    if with_dropout and without and stats.median(with_dropout) < SLOW and stats.median(without) >= SAME:
        sentence += (
            " Dropout is what makes XLA slow here: its random mask, drawn every step, compiles into a much "
            "slower gradient, while the same step without Dropout compiles as fast or faster; judge XLA on "
            "models without Dropout, or with Dropout removed."
        )
    return [sentence]
