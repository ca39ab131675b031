"""The batch-size question at a fixed number of epochs: what the global batch does to accuracy and speed."""

from collections.abc import Mapping
from dataclasses import dataclass

from bench_lib.analysis import papers
from bench_lib.analysis.family import Family
from bench_lib.analysis.supplied import Supplied
from bench_lib.analysis.vocabulary import READINGS, context_groups, figure, spec_of
from bench_lib.questions.registry import Page, Question


@dataclass(frozen=True, kw_only=True)
class Sizes:
    batch_sizes: tuple[int, ...]  # global batch sizes; the fixed-steps question runs the same grid


def masters_luschi(results: list[Mapping[str, object]], supplied: Supplied, family: Family) -> papers.Measured:
    """Where the best mean test accuracy lies, with the smallest batch against the largest judged."""
    found = papers.ends(results, "test_accuracy")
    if found is None:
        return []
    group = next(iter(context_groups(results, {"global_batch_size"}).values()))
    best = max(
        ((spec_of(r)["global_batch_size"], f) for r in group if (f := figure(r, "test_accuracy")) is not None),
        key=lambda p: p[1].mean,
    )
    (b0, a), (b1, b) = found
    verdict = family.judge(a, b, READINGS["test_accuracy"])
    word = "undecided" if verdict.decision != "real" else "agrees" if best[0] <= 32 else "disagrees"
    return [(f"best mean at batch {best[0]}; batch {b0} against {b1}: {verdict.text()}", word)]


KESKAR = papers.Paper(
    paper="Keskar et al. 2017",
    published="a large batch loses test accuracy at a fixed budget (Table 2, MNIST F1, Adam: 98.03 ± 0.07% at a small "
    "batch, 97.81 ± 0.07% at a large one)",
    read=papers.accuracy_along_batch("fall"),
)
MASTERS_LUSCHI = papers.Paper(
    paper="Masters & Luschi 2018", published="the best test accuracy at batch sizes 2–32", read=masters_luschi
)

QUESTION = Question(
    name="batch_size",
    title="Batch size (fixed epochs)",
    order=10,
    quick_until_decided=True,
    quick=Sizes(batch_sizes=(32, 128, 512)),
    full=Sizes(batch_sizes=(16, 32, 64, 128, 256, 512, 1024)),
    follows=(("--bench-batch-sizes", "batch_sizes"),),
    papers=(KESKAR, MASTERS_LUSCHI),
    page=Page(
        path="batch-size.md",
        nav="Batch size",
        asks="What does the global batch size do to accuracy, throughput and memory?",
        quick_grid="`mlp`, Adam, batch 32, 128, 512; 5 epochs, 220 steps, and to training accuracy 0.95 "
        "(equal convergence); 3 seeds",
    ),
)
