"""The toy question's benchmark: a grid from its sizes, results made up from the spec instead of training."""

from bench_lib.record.result import RunResult


def grid(profile):
    points = profile.sizes("toy").points
    return profile.grid(global_batch_size=tuple(8 * p for p in points), model="mlp", target_accuracy=0.5)


def test_toy(benchmark, spec):
    benchmark.group = "test_toy"
    benchmark.pedantic(sum, args=(range(100),), rounds=3)
    accuracy = 0.5 + spec.global_batch_size / 1000
    steps = 240 / spec.global_batch_size  # steps to the target, so that the toy supplies a steps-to-target series
    result = RunResult(
        spec=spec, status="ok", test_accuracy=accuracy, examples_per_sec=1000.0, steps_to_target=steps
    ).as_dict()
    benchmark.extra_info.update({**result, "toy_figure": spec.global_batch_size / 8})


def test_toy_trace(benchmark, profile):
    """Saves an entry in place of a result, as a search or a sweep does."""
    benchmark.group = "test_toy"
    benchmark.pedantic(sum, args=(range(10),), rounds=1)
    benchmark.extra_info.update({"toy_trace": list(profile.sizes("toy").points)})
