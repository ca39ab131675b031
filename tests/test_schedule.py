import keras
import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.engine import schedule
from bench_lib.engine.model import build_optimizer


@pytest.mark.parametrize(
    ("rule", "batch", "factor"),
    [("none", 512, 1.0), ("linear", 512, 16.0), ("sqrt", 512, 4.0), ("linear", 8, 0.25), ("sqrt", 32, 1.0)],
)
def test_scaling_rules_multiply_the_base_rate_as_documented(rule, batch, factor):
    spec = RunSpec(global_batch_size=batch, base_batch_size=32, lr_scaling=rule, optimizer="sgd", learning_rate=0.1)
    assert spec.lr_scale_factor == pytest.approx(factor)
    assert spec.scaled_learning_rate == pytest.approx(0.1 * factor)


def test_the_optimizer_default_is_the_rate_at_the_base_batch():
    spec = RunSpec(global_batch_size=128, base_batch_size=32, lr_scaling="linear", optimizer="adam")
    assert spec.scaled_learning_rate == pytest.approx(0.001 * 4)


def test_warmup_climbs_linearly_from_the_base_rate_to_the_scaled_rate():
    # Goyal et al. 2017: start at eta, add a constant each step, reach k * eta after the warm-up.
    values = [schedule.learning_rate_at(t, base=0.1, scaled=0.5, warmup_steps=4) for t in range(7)]
    assert values == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.5])
    assert schedule.learning_rate_at(0, base=0.1, scaled=0.5, warmup_steps=0) == 0.5


def test_warmup_epochs_become_steps_rounded_up():
    spec = RunSpec(lr_scaling="linear", warmup_epochs=1.5)
    assert schedule.warmup_steps_of(spec, steps_per_epoch=5) == 8
    assert schedule.warmup_steps_of(spec.replace(warmup_epochs=0.0), steps_per_epoch=5) == 0


def test_the_optimizer_follows_the_documented_schedule():
    spec = RunSpec(
        optimizer="sgd", learning_rate=0.1, global_batch_size=128, base_batch_size=32, lr_scaling="linear",
        warmup_epochs=2.0,
    )  # fmt: skip
    optimizer = build_optimizer(spec, steps_per_epoch=2)  # 4 warm-up steps from 0.1 to 0.4
    variable = keras.Variable([1.0])
    optimizer.build([variable])
    used = []
    for _ in range(6):
        used.append(float(optimizer.learning_rate))  # the rate the next update applies
        optimizer.apply_gradients([(keras.ops.convert_to_tensor([0.0]), variable)])
    assert used == pytest.approx([0.1, 0.175, 0.25, 0.325, 0.4, 0.4])


def test_without_warmup_the_optimizer_gets_the_scaled_rate_as_a_number():
    spec = RunSpec(optimizer="momentum", global_batch_size=64, base_batch_size=32, lr_scaling="sqrt")
    assert float(build_optimizer(spec).learning_rate) == pytest.approx(0.01 * 2**0.5)
