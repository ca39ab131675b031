"""Gradient accumulation: one effective batch reached by several micro-batch x accumulation pairs."""


def grid(profile):
    sizes = profile.sizes("accumulation")
    return profile.accuracy_grid(
        model=sizes.models,
        global_batch_size=sizes.global_batch_size,
        accumulation_steps=sizes.accumulation_steps,
        seeds=profile.seeds_of_question(),
    )


def test_accumulation(measure_run, spec):
    result = measure_run(spec)
    assert result["micro_batch_size"] * spec.accumulation_steps * spec.replicas == spec.global_batch_size
