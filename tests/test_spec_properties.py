"""Property-based tests over RunSpec: any values either build a spec or raise a one-line
ValueError naming the field; every spec that builds trains one step without error."""

import dataclasses
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench_lib.config import spec as spec_lib
from bench_lib.config.spec import RunSpec
from bench_lib.engine import runner

FIELDS = [f.name for f in dataclasses.fields(RunSpec)]
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["one_device", "mirrored", "cnn", "adam", "synthetic", "float32", "mixed_float16"]),
    st.lists(st.integers(), max_size=2),
)
SETTINGS = {"database": None, "derandomize": True, "deadline": None}


@settings(max_examples=200, **SETTINGS)
@given(st.dictionaries(st.sampled_from(FIELDS), JUNK, max_size=4))
def test_any_values_build_a_valid_spec_or_name_a_field_in_one_line(fields):
    try:
        spec = RunSpec(**fields)
    except ValueError as error:
        message = str(error)
        assert "\n" not in message
        named = message.split("=", 1)[0]
        # The default batch can fail to split when replicas or accumulation_steps change.
        value = fields.get(named, RunSpec.global_batch_size)
        shown = [repr(value), repr(tuple(value))] if isinstance(value, list) else [repr(value)]  # pairs as tuples
        assert any(message.startswith(f"{named}={v} is not allowed: ") for v in shown), (fields, message)
        return
    assert spec.micro_batch_size * spec.replicas * spec.accumulation_steps == spec.global_batch_size
    assert RunSpec.from_dict(spec.as_dict()) == spec


@st.composite
def trainable_specs(draw):
    mirrored = draw(st.booleans())
    replicas = 2 if mirrored else 1
    accumulation = draw(st.sampled_from([1, 2, 4]))
    return RunSpec(
        strategy="mirrored" if mirrored else "one_device",
        replicas=replicas,
        global_batch_size=replicas * accumulation * draw(st.integers(1, 8)),
        accumulation_steps=accumulation,
        steps=1,
        optimizer=draw(st.sampled_from(spec_lib.OPTIMIZERS)),
        learning_rate=draw(st.one_of(st.none(), st.floats(1e-5, 1.0))),
        seed=draw(st.integers(0, 2**31)),
        # The seed's small models; the standard families train in tests/test_workloads_run.py.
        model=draw(st.sampled_from(("mlp", "mlp_bn", "cnn"))),
        dropout=draw(st.floats(0.0, 0.9)),
        dataset=draw(st.sampled_from(["digits", "synthetic"])),
        warmup_steps=draw(st.integers(0, 3)),
        deterministic=draw(st.booleans()),
        memory_limit_mib=draw(st.one_of(st.none(), st.just(4096))),
    )


@settings(max_examples=6, suppress_health_check=[HealthCheck.too_slow], **SETTINGS)
@given(trainable_specs())
def test_every_valid_spec_trains_one_step(spec):
    prepared = runner.prepare(spec)
    try:
        prepared.loop.before_step()
        loss = prepared.loop.step()
    finally:
        runner.release(prepared)
    assert math.isfinite(loss)
