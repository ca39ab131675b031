"""How large a global batch trains within a memory limit: doubling, then bisection, to the boundary."""


def test_max_batch_size(benchmark, profile, summary_lines):
    from bench_lib.engine import capacity
    from bench_lib.questions.max_batch_size import search_line

    sizes = profile.sizes("max_batch_size")
    spec = profile.spec(model=sizes.model, dataset="synthetic", memory_limit_mib=None)
    benchmark.group = "test_max_batch_size"
    found = benchmark.pedantic(
        capacity.max_batch_size,
        args=(spec,),
        kwargs={
            "limit_mib": sizes.limit_mib,
            "start": sizes.start,
            "resolution": sizes.resolution,
        },
        rounds=1,
    )
    benchmark.extra_info.update(found.as_dict())
    summary_lines.append(search_line(found.as_dict()))
    assert found.max_batch_size is not None, f"not even batch {sizes.start} fits: {found.trials}"
