"""The batch-normalization question: the MLP with and without BatchNormalization, and resnet20 with and without BN."""

import functools
from dataclasses import dataclass

from bench_lib.analysis import glance
from bench_lib.questions.registry import Page, Question


@dataclass(frozen=True, kw_only=True)
class Sizes:
    batch_sizes: tuple[int, ...]  # global batch sizes of the MLPs, small ones included
    # resnet20 (BN part of the network) with bn local and none at each of these global batches, and
    # with bn local at the largest as resnet_accumulation micro-batches (ghost batches); () leaves it out.
    resnet_batch_sizes: tuple[int, ...] = ()
    resnet_accumulation: int = 4
    resnet_epochs: int = 2  # on CIFAR-10 where the Keras cache has it, else synthetic data


QUESTION = Question(
    name="batchnorm",
    title="Batch normalization",
    order=40,
    quick=Sizes(batch_sizes=(8, 64, 256)),
    full=Sizes(batch_sizes=(4, 8, 16, 32, 64, 128, 256), resnet_batch_sizes=(32, 128)),
    follows=(("--bench-batch-sizes", "batch_sizes"),),
    glance=functools.partial(glance.compared, axis="model"),  # with and without BN, not the batch
    page=Page(
        path="batchnorm.md",
        nav="Batch normalization",
        asks="What does batch normalization do, small batches included?",
        quick_grid="`mlp` and `mlp_bn`, batch 8, 64, 256, 3 seeds",
    ),
)
