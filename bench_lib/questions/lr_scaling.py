"""The learning-rate scaling question: fixed against linearly and sqrt-scaled learning rates as the batch grows."""

from collections.abc import Mapping
from dataclasses import dataclass

from bench_lib.analysis import findings as sentences
from bench_lib.analysis import papers
from bench_lib.analysis.family import Family
from bench_lib.analysis.supplied import Supplied
from bench_lib.analysis.vocabulary import READINGS, Figure, budget, context_groups, figure, interval_text, spec_of
from bench_lib.questions.registry import Page, Question


@dataclass(frozen=True, kw_only=True)
class Sizes:
    batch_sizes: tuple[int, ...]  # the first is the base batch, where every rule gives the same rate
    optimizers: tuple[str, ...]
    warmup_epochs: float  # the linear warm-up to a scaled rate
    sharpness_samples: int  # of the sharpness probe that rides along


def _recovery(small: Figure, fixed: Figure, scaled: Figure) -> str:
    drop = small.mean - fixed.mean
    if drop <= 0:
        return "there was no drop to recover"
    return f"recovering {100 * (scaled.mean - fixed.mean) / drop:.0f}% of the drop"


def findings(results: list[Mapping[str, object]], metric: str, *, family: Family | None = None) -> list[str]:
    """Fixed against scaled learning rate at the largest batch, and how much of the drop scaling recovers."""
    family = family if family is not None else Family()
    accuracy = READINGS["test_accuracy"]
    own = {"global_batch_size", "lr_scaling", "warmup_epochs", "base_batch_size"}
    measured = [r for r in results if figure(r, "test_accuracy") is not None]
    clauses = []
    for name, group in context_groups(measured, own).items():
        fixed = sorted(
            (r for r in group if spec_of(r).get("lr_scaling") == "none"), key=lambda r: spec_of(r)["global_batch_size"]
        )
        if len(fixed) < 2 or spec_of(fixed[0])["global_batch_size"] == spec_of(fixed[-1])["global_batch_size"]:
            continue
        small, large = fixed[0], fixed[-1]
        s0, s1 = figure(small, "test_accuracy"), figure(large, "test_accuracy")
        big = spec_of(large)["global_batch_size"]
        start = f"{interval_text(s0, accuracy.fmt)} at batch {spec_of(small)['global_batch_size']}"
        end = f"{interval_text(s1, accuracy.fmt)} at batch {big}"
        parts = [
            f"with a fixed learning rate {sentences.moves(accuracy.words, s0, s1, start, end)} "
            f"({family.judge(s0, s1, accuracy).text()})"
        ]
        for r in group:
            spec = spec_of(r)
            if spec.get("lr_scaling") == "none" or spec["global_batch_size"] != big:
                continue
            f = figure(r, "test_accuracy")
            epochs = spec.get("warmup_epochs")
            warmup = f", warm-up {epochs:g} epoch{'s' if epochs != 1 else ''}" if epochs else ""
            parts.append(
                f"{spec['lr_scaling']} scaling{warmup} gives {interval_text(f, accuracy.fmt)} at batch {big} "
                f"({family.judge(s1, f, accuracy).text()} against fixed), {_recovery(s0, s1, f)}"
            )
        clauses.append((f"{name}: " if name else "") + "; ".join(parts))
    if not clauses:
        return [sentences.generic("lr_scaling", results, metric, family=family)]
    head = [f"lr_scaling ({budget(spec_of(results[0]))}): " + "; ".join(clauses) + "."]
    fixed_lr = [r for r in results if spec_of(r).get("lr_scaling") == "none"]
    return head + generalization(fixed_lr, family=family)


def generalization(results: list[Mapping[str, object]], *, family: Family | None = None) -> list[str]:
    """The generalization gap along the batch size, fixed learning rate (sharpness: at equal convergence)."""
    family = family if family is not None else Family()
    clauses = []
    for name, group in context_groups(results, {"global_batch_size"}).items():
        text = sentences.clause(group, "global_batch_size", READINGS["generalization_gap_accuracy"], family)
        if text:
            clauses.append((f"{name}: " if name else "") + text)
    if not clauses:
        return []
    return [f"generalization ({budget(spec_of(results[0]))}, fixed learning rate): " + "; ".join(clauses) + "."]


def goyal(results: list[Mapping[str, object]], supplied: Supplied, family: Family) -> papers.Measured:
    """Linear scaling at the largest batch, with and without warm-up, against the fixed rate's smallest batch."""
    fixed = [r for r in results if spec_of(r).get("lr_scaling") == "none"]
    found = papers.ends(fixed, "test_accuracy")
    if found is None:
        return []
    (b0, small), (b1, _) = found
    accuracy = READINGS["test_accuracy"]
    rows = []
    for r in results:
        spec = spec_of(r)
        f = figure(r, "test_accuracy")
        if spec.get("lr_scaling") != "linear" or spec.get("global_batch_size") != b1 or f is None:
            continue
        verdict = family.judge(small, f, accuracy)
        warmup = "with" if spec.get("warmup_epochs") else "without"
        measured = (
            f"linear scaling {warmup} warm-up at batch {b1}: {interval_text(f, accuracy.fmt)} against "
            f"{interval_text(small, accuracy.fmt)} at batch {b0} ({verdict.text()})"
        )
        rows.append((measured, papers.direction(verdict, "same" if spec.get("warmup_epochs") else "fall")))
    return rows


GOYAL = papers.Paper(
    paper="Goyal et al. 2017",
    published="linear scaling with gradual warm-up matches the small-batch baseline; without warm-up it does not",
    read=goyal,
)

QUESTION = Question(
    name="lr_scaling",
    title="Learning-rate scaling with the batch size",
    order=60,
    quick_until_decided=True,
    quick=Sizes(batch_sizes=(32, 512), optimizers=("adam",), warmup_epochs=1.0, sharpness_samples=3),
    full=Sizes(
        batch_sizes=(32, 128, 512, 1024), optimizers=("adam", "momentum"), warmup_epochs=2.0, sharpness_samples=10
    ),
    findings=findings,
    papers=(GOYAL,),
    page=Page(
        path="lr-scaling.md",
        nav="Learning-rate scaling",
        asks='How much of "large batches hurt" is the learning rate?',
        quick_grid="`mlp`, batch 32 and 512, fixed / linear / sqrt rate, 3 seeds",
    ),
)
