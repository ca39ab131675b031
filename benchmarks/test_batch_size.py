"""Batch size: what the global batch size does to test accuracy, throughput and memory (Adam), at a fixed
number of epochs (data efficiency), at a fixed number of optimizer steps (step efficiency), and at
equal convergence (every batch trained to the same training accuracy)."""

import pytest


def grid(profile):
    batch_sizes = profile.sizes("batch_size").batch_sizes
    return profile.accuracy_grid(global_batch_size=batch_sizes, optimizer="adam", seeds=profile.seeds_of_question())


def test_batch_size(measure_run, spec):
    result = measure_run(spec)
    assert result["optimizer_steps"] >= result["timed_steps"] > 0


def test_batch_size_fixed_steps(measure_run, spec, profile):
    """The same grid with a fixed number of optimizer steps instead of epochs: step efficiency.

    A fixed epoch budget asks how well each batch size uses the data (larger batches take fewer
    steps); a fixed step budget asks how much each step achieves (larger batches see more data).
    """
    steps = profile.sizes("batch_size_fixed_steps").steps
    result = measure_run(spec.replace(steps=steps))
    assert result["optimizer_steps"] == steps


def test_batch_size_equal_convergence(measure_runs_to_target, spec, profile):
    """The same batch sizes, each trained until its training accuracy reaches one target, then measured there.

    Test accuracy, the generalization gap and sharpness are then compared at equal training, as
    Keskar et al. compare small- and large-batch minima; one strategy, since only the global
    batch matters here. Each round is one seed's whole run.
    """
    if spec.strategy != profile.strategies[0]:
        pytest.skip(f"equal convergence runs on {profile.strategies[0]} only: the global batch is what it compares")
    sizes = profile.sizes("batch_size_equal_convergence")
    converged = spec.replace(
        epochs=sizes.max_epochs,
        target_accuracy=sizes.train_accuracy,
        target_on="train",
        target_check_steps=max(1, sizes.check_examples // spec.global_batch_size),
        stop_at_target=True,
        sharpness_samples=sizes.sharpness_samples,
    )
    result = measure_runs_to_target(converged, restart=True)
    assert result["spec"]["target_on"] == "train"
