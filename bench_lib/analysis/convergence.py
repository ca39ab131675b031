"""Provides the findings of comparisons at equal convergence: every configuration trained to one training accuracy.

Keskar et al. (ICLR 2017) compare small- and large-batch minima after both are trained to the
same training accuracy; compared after a fixed budget instead, a large batch is simply less
trained, and its lower sharpness or test accuracy says nothing about its minimum. Pure functions
of result dicts; a configuration that did not reach the target is named and left out.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench_lib.analysis.family import Family
from bench_lib.analysis.findings import clause
from bench_lib.analysis.vocabulary import READINGS, context_groups, spec_of

METRICS = ("test_accuracy", "generalization_gap_accuracy", "sharpness")


def findings(results: list[Mapping[str, object]], metric: str, *, family: Family | None = None) -> list[str]:
    """Test accuracy, generalization gap and sharpness along the batch size, each at the training-accuracy target."""
    family = family if family is not None else Family()
    reached = [r for r in results if r.get("steps_to_target") is not None]
    missed = sorted({spec_of(r).get("global_batch_size") for r in results if r.get("steps_to_target") is None})
    clauses = []
    for label, group in context_groups(reached, {"global_batch_size", "learning_rate"}).items():
        for key in METRICS:
            text = clause(group, "global_batch_size", READINGS[key], family)
            if text:
                clauses.append((f"{label}: " if label else "") + text)
    target = spec_of(results[0]).get("target_accuracy")
    head = f"batch_size_equal_convergence (each trained to training accuracy {target:g})"
    body = "; ".join(clauses) if clauses else "fewer than two batch sizes reached the target"
    note = f"; not reached within the budget at batch {', '.join(map(str, missed))}" if missed else ""
    return [f"{head}: {body}{note}."]
