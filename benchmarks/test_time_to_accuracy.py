"""Steps, examples and seconds to a target test accuracy across batch sizes (Shallue et al. 2019; MLPerf).

Every configuration trains until its test accuracy first reaches the target (checked about every
the question's check_examples examples, untimed) or its epoch budget ends ("not reached"). Each benchmark
round is one seed's whole run. With --bench-plot-dir the session draws steps-to-target against
batch size on log-log axes, where perfect scaling, diminishing returns and the plateau show.
"""


def grid(profile):
    sizes = profile.sizes("time_to_accuracy")
    base = sizes.batch_sizes[0]
    strategy = profile.strategies[0]
    return [
        {
            **profile.shape(strategy),
            "optimizer": "adam",
            "global_batch_size": batch,
            "lr_scaling": rule,
            "base_batch_size": base,
            "warmup_epochs": 1.0 if rule != "none" else 0.0,
            "epochs": sizes.max_epochs,
            "target_accuracy": sizes.target_accuracy,
            "target_check_steps": max(1, sizes.check_examples // batch),
            "stop_at_target": True,
            "seeds": profile.seeds_of_question(),
        }
        for rule in sizes.lr_scalings
        for batch in sizes.batch_sizes
    ]


def test_time_to_accuracy(measure_runs_to_target, spec):
    result = measure_runs_to_target(spec)
    stats = result["seed_stats"]
    first_seed = stats["steps_to_target"]["values"][0] if stats else result["steps_to_target"]
    # Training stops at the target, so the first seed (whose details the result keeps) ran
    # exactly the steps it needed, or its whole budget when it never got there.
    assert first_seed is None or first_seed == result["optimizer_steps"]
