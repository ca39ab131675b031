"""The batch-size question at equal convergence: each batch trained to one training accuracy, then compared."""

from dataclasses import dataclass

from bench_lib.analysis import convergence
from bench_lib.questions.registry import Question


@dataclass(frozen=True, kw_only=True)
class Sizes:
    train_accuracy: float  # the target every batch size trains to, on the training set
    max_epochs: int  # the budget of a batch size that never reaches it
    check_examples: int  # the training accuracy is checked about every this many training examples
    sharpness_samples: int  # of the sharpness probe taken at the target


QUESTION = Question(
    name="batch_size_equal_convergence",
    title="Batch size (at equal training accuracy)",
    order=25,
    quick=Sizes(train_accuracy=0.95, max_epochs=150, check_examples=256, sharpness_samples=3),
    full=Sizes(train_accuracy=0.98, max_epochs=300, check_examples=1024, sharpness_samples=10),
    findings=convergence.findings,
)
