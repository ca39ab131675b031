"""Provides the findings of comparisons at equal convergence: every configuration trained to one training accuracy.

Keskar et al. (ICLR 2017) compare small- and large-batch minima after both are trained to the
same training accuracy; compared after a fixed budget instead, a large batch is simply less
trained, and its lower sharpness or test accuracy says nothing about its minimum. Pure functions
of result dicts; a configuration that did not reach the target is named and left out.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench_lib.analysis.findings import _clause, _context_groups, _spec

METRICS = (
    ("test_accuracy", "test accuracy", ".3f"),
    ("generalization_gap_accuracy", "train − test accuracy", ".3f"),
    ("sharpness", "sharpness", ".3g"),
)


def findings(results: list[Mapping[str, object]], metric: str) -> list[str]:
    """Test accuracy, generalization gap and sharpness along the batch size, each at the training-accuracy target."""
    reached = [r for r in results if r.get("steps_to_target") is not None]
    missed = sorted({_spec(r).get("global_batch_size") for r in results if r.get("steps_to_target") is None})
    clauses = []
    for label, group in _context_groups(reached, {"global_batch_size", "learning_rate"}).items():
        for metric in METRICS:
            clause = _clause(group, "global_batch_size", metric)
            if clause:
                clauses.append((f"{label}: " if label else "") + clause)
    target = _spec(results[0]).get("target_accuracy")
    head = f"batch_size_equal_convergence (each trained to training accuracy {target:g})"
    body = "; ".join(clauses) if clauses else "fewer than two batch sizes reached the target"
    note = f"; not reached within the budget at batch {', '.join(map(str, missed))}" if missed else ""
    return [f"{head}: {body}{note}."]
