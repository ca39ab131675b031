"""Seed Example 2 done right: one effective batch reached by several micro-batch x accumulation pairs."""


def grid(profile):
    return [
        {
            "strategy": strategy,
            "replicas": profile.replicas_for(strategy),
            "global_batch_size": profile.effective_batch_size,
            "accumulation_steps": steps,
            "model": model,
        }
        for strategy in profile.strategies
        for model in profile.accumulation_models
        for steps in profile.accumulation_steps
    ]


def test_accumulation(measure_run, spec):
    result = measure_run(spec)
    assert result["micro_batch_size"] * spec.accumulation_steps * spec.replicas == spec.global_batch_size
