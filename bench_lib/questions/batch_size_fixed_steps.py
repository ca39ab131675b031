"""The batch-size question at a fixed number of optimizer steps: how much each step achieves."""

from dataclasses import dataclass

from bench_lib.analysis import papers
from bench_lib.questions.registry import Question


@dataclass(frozen=True, kw_only=True)
class Sizes:
    steps: int  # every configuration's optimizer steps: batch 32's budget at the profile's epochs


HOFFER = papers.Paper(
    paper="Hoffer et al. 2017",
    published="the gap closes with as many updates: at a fixed number of steps a large batch is no worse",
    read=papers.accuracy_along_batch("no fall"),
)

QUESTION = Question(
    name="batch_size_fixed_steps",
    title="Batch size (fixed optimizer steps)",
    order=20,
    quick_until_decided=True,
    quick=Sizes(steps=220),  # 5 epochs of digits
    full=Sizes(steps=2500),  # 20 epochs of mnist_5k
    papers=(HOFFER,),
)
