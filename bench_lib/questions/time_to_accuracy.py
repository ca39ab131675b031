"""The time-to-accuracy question: steps, examples and seconds to a target test accuracy across batch sizes."""

import functools
from dataclasses import dataclass

from bench_lib.analysis import findings, glance
from bench_lib.config import option_text
from bench_lib.questions.registry import Page, Question, SizeOption


@dataclass(frozen=True, kw_only=True)
class Sizes:
    target_accuracy: float
    batch_sizes: tuple[int, ...]  # the first is the base batch of the learning-rate rules
    lr_scalings: tuple[str, ...]
    check_examples: int  # test accuracy is checked about every this many training examples
    max_epochs: int  # the budget of a configuration that never reaches the target


QUESTION = Question(
    name="time_to_accuracy",
    title="Steps and time to a target accuracy",
    order=70,
    quick=Sizes(
        target_accuracy=0.85, batch_sizes=(16, 128, 1024), lr_scalings=("linear",), check_examples=256, max_epochs=40
    ),
    full=Sizes(
        target_accuracy=0.9,
        batch_sizes=(16, 32, 64, 128, 256, 512, 1024, 2048),
        lr_scalings=("none", "sqrt", "linear"),
        check_examples=1024,
        max_epochs=60,
    ),
    options=(
        SizeOption(
            name="--bench-target-accuracy",
            help="test accuracy of the time-to-accuracy question",
            field="target_accuracy",
            parse=option_text.accuracy,
        ),
    ),
    metric="steps_to_target",
    findings=findings.time_to_accuracy,
    glance=functools.partial(glance.compared, metric="steps_to_target"),
    page=Page(
        path="time-to-accuracy.md",
        nav="Time to accuracy",
        asks="How many steps, examples and seconds to a target accuracy?",
        quick_grid="`mlp`, batch 16, 128, 1024, target 0.85, 3 seeds",
    ),
)
