"""The throughput question: step time on synthetic data across models, batch sizes, strategies and knobs."""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from bench_lib.analysis import findings as sentences
from bench_lib.analysis.family import Family
from bench_lib.analysis.xla import xla_dropout
from bench_lib.questions.registry import Page, Question


@dataclass(frozen=True, kw_only=True)
class Sizes:
    batch_sizes: tuple[int, ...]
    models: tuple[str, ...]
    blocks: int  # timed blocks of every configuration
    mfu_batch_sizes: tuple[int, ...]  # of the wide MLP
    knob_batch_size: int  # where each knob is changed alone from the defaults


def findings(results: list[Mapping[str, object]], metric: str, *, family: Family | None = None) -> list[str]:
    """The generic sentence, then XLA's effect with and without Dropout where the grid measured it."""
    return [sentences.generic("throughput", results, metric, family=family), *xla_dropout(results)]


QUICK = Sizes(batch_sizes=(64, 512), models=("mlp", "cnn"), blocks=8, mfu_batch_sizes=(512, 2048), knob_batch_size=512)

QUESTION = Question(
    name="throughput",
    title="Throughput (synthetic data)",
    order=100,
    quick=QUICK,
    # The quick grid with three times the timed blocks: each of the nightly profile's processes pays its
    # start-up and trace before it times anything, and the median of a few short blocks would add its own
    # spread to the between-process spread its verdicts are judged by (docs/running/nightly.md).
    nightly=dataclasses.replace(QUICK, blocks=3 * QUICK.blocks),
    metric="examples_per_sec",
    findings=findings,
    full=Sizes(
        batch_sizes=(64, 128, 256, 512, 1024, 2048, 4096),
        models=("mlp", "cnn"),
        blocks=30,
        mfu_batch_sizes=(512, 1024, 2048, 4096),
        knob_batch_size=256,
    ),
    page=Page(
        path="throughput.md",
        nav="Throughput",
        asks="How fast is a step, and which knobs change it?",
        quick_grid="`mlp` and `cnn` on synthetic data, batch 64 and 512, and each knob alone",
    ),
)
