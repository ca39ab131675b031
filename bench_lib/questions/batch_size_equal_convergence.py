"""The batch-size question at equal convergence: each batch trained to one training accuracy, then compared.

Keskar et al. (ICLR 2017) compare small- and large-batch minima after both are trained to the
same training accuracy; compared after a fixed budget instead, a large batch is simply less
trained, and its lower sharpness or test accuracy says nothing about its minimum. A configuration
that did not reach the target is named and left out of the findings.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from bench_lib.analysis import papers
from bench_lib.analysis.family import Family
from bench_lib.analysis.findings import clause
from bench_lib.analysis.vocabulary import READINGS, context_groups, spec_of
from bench_lib.questions.registry import Question

METRICS = ("test_accuracy", "generalization_gap_accuracy", "sharpness")


@dataclass(frozen=True, kw_only=True)
class Sizes:
    train_accuracy: float  # the target every batch size trains to, on the training set
    max_epochs: int  # the budget of a batch size that never reaches it
    check_examples: int  # the training accuracy is checked about every this many training examples
    sharpness_samples: int  # of the sharpness probe taken at the target


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


KESKAR_SHARP_MINIMA = papers.Paper(
    paper="Keskar et al. 2017",
    published="the gap remains when both are trained to the same training accuracy (sharp minima)",
    read=papers.accuracy_along_batch("fall"),
)

QUESTION = Question(
    name="batch_size_equal_convergence",
    title="Batch size (at equal training accuracy)",
    order=25,
    quick=Sizes(train_accuracy=0.95, max_epochs=150, check_examples=256, sharpness_samples=3),
    full=Sizes(train_accuracy=0.98, max_epochs=300, check_examples=1024, sharpness_samples=10),
    findings=findings,
    papers=(KESKAR_SHARP_MINIMA,),
)
