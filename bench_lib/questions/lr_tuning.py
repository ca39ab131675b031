"""The lr_tuning question: steps to a target across batch sizes at a learning rate tuned for each batch."""

import functools
from dataclasses import dataclass

from bench_lib.analysis import glance, tuning
from bench_lib.questions.registry import Page, Question
from bench_lib.record.metrics import ResultKey


@dataclass(frozen=True, kw_only=True)
class Sizes:
    batch_sizes: tuple[int, ...]
    optimizers: tuple[str, ...]
    points: int  # learning rates of the log grid, around the optimizer's default
    decades: float  # that the grid spans
    validation_fraction: float  # of the training set held out to tune on
    target_accuracy: float  # on the validation share while tuning, on the test set in the rerun
    check_examples: int  # the accuracy is checked about every this many training examples
    max_epochs: int  # the budget of a configuration that never reaches the target


QUESTION = Question(
    name="lr_tuning",
    title="Steps to a target at a learning rate tuned per batch size",
    order=75,
    quick=Sizes(
        batch_sizes=(32, 256),
        optimizers=("adam",),
        points=3,
        decades=2.0,
        validation_fraction=0.2,
        target_accuracy=0.85,
        check_examples=256,
        max_epochs=40,
    ),
    full=Sizes(
        batch_sizes=(16, 32, 64, 128, 256, 512, 1024),
        optimizers=("momentum", "adam"),
        points=5,
        decades=2.0,
        validation_fraction=0.2,
        target_accuracy=0.9,
        check_examples=1024,
        max_epochs=60,
    ),
    findings=tuning.findings,
    # The rate differs between configurations without being a context: it is tuned per batch.
    glance=functools.partial(glance.compared, metric="steps_to_target", ignore=("learning_rate",)),
    result_keys=(
        ResultKey(
            "lr_trials",
            "The lr_tuning question: each rate tried on the validation split, as `learning_rate`, `status`, "
            "`steps_to_target` and `validation_accuracy`; the result itself is the best rate's rerun.",
        ),
    ),
    page=Page(
        path="lr-tuning.md",
        nav="Learning rate tuned per batch",
        asks="How many steps to a target at a rate tuned for each batch?",
        quick_grid="`mlp`, Adam, batch 32 and 256, 3 rates tuned on a validation split, 3 seeds",
    ),
)
