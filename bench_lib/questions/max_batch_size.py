"""The largest-batch question: how large a global batch trains within a memory limit.

Its benchmark saves the search (bench_lib.engine.capacity.BatchSearch.as_dict) in place of a
training result; a report states it among the run's facts.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from bench_lib.questions.registry import Page, Question
from bench_lib.record.metrics import ResultKey


@dataclass(frozen=True, kw_only=True)
class Sizes:
    model: str
    limit_mib: int
    start: int  # the first batch tried; doubling, then bisection
    resolution: int  # the bisection stops when the bracket is this narrow


def search_line(search: Mapping[str, object]) -> str:
    """e.g. 'one_device-bs*-acc1-cnn-adam: largest global batch within 128 MiB: 128 (160 does not fit; 6 trials)'."""
    trials = len(search["trials"])
    over = search["min_failing_batch_size"]
    beyond = f"{over} does not fit" if over is not None else "the whole training set fits"
    found = "-" if search["max_batch_size"] is None else format(search["max_batch_size"], "d")
    within = f"largest global batch within {search['limit_mib']} MiB"
    return f"{search['spec_id']}: {within}: {found} ({beyond}; {trials} trials)"


QUESTION = Question(
    name="max_batch_size",
    title="Largest global batch within a memory limit",
    order=120,
    quick=Sizes(model="cnn", limit_mib=128, start=64, resolution=32),
    full=Sizes(model="cnn", limit_mib=1024, start=64, resolution=1),
    follows=(("--bench-memory-limit-mib", "limit_mib"),),
    saved_keys=frozenset({"spec_id", "limit_mib", "max_batch_size", "trials"}),
    saved_facts=lambda search: ("largest batch", search_line(search)),
    result_keys=(
        ResultKey(
            "max_batch_size, min_failing_batch_size, limit_mib, resolution, trials",
            "The max-batch question's search, saved in place of a result: the biggest batch that fitted the memory "
            "limit, the smallest that did not, and its trials.",
        ),
    ),
    page=Page(
        path="max-batch-size.md",
        nav="Largest batch in memory",
        asks="How large a batch trains within a memory limit?",
        quick_grid="`cnn` on synthetic data, limit 128 MiB",
    ),
)
