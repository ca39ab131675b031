import keras
import numpy as np
import pytest
import tensorflow as tf

from bench_lib.config.spec import RunSpec
from bench_lib.engine import runner
from bench_lib.maths.noise_scale import simple_noise_scale, unbiased_terms
from bench_lib.probes.noise import GradientNoiseProbe


def test_exact_expected_norms_give_back_g_and_trace_sigma():
    g2, trace = 2.0, 300.0
    small, big = 8, 128
    pair = (g2 + trace / small, g2 + trace / big)  # E|G_B|² = |G|² + tr(Σ)/B
    assert unbiased_terms(small, big, *pair) == pytest.approx((g2, trace))
    estimate = simple_noise_scale(small, big, [pair, pair])
    assert estimate.noise_scale == pytest.approx(150.0)
    assert estimate.measurements == 2


def test_the_ratio_is_of_averages_not_an_average_of_ratios():
    # Two measurements whose |G|² estimates are 1 and 3, tr(Σ) 100 each: B_simple = 100/2, not mean(100, 33.3).
    small, big = 10, 20
    pairs = [(g2 + 100 / small, g2 + 100 / big) for g2 in (1.0, 3.0)]
    assert simple_noise_scale(small, big, pairs).noise_scale == pytest.approx(50.0)


def test_finite_population_correction_undoes_sampling_without_replacement():
    n, small, big, g2, trace = 1000, 10, 100, 1.0, 50.0
    # Without replacement from n examples: Var(G_B) = tr(Σ)/B · (n − B)/(n − 1).
    pair = tuple(g2 + trace / b * (n - b) / (n - 1) for b in (small, big))
    estimate = simple_noise_scale(small, big, [pair], population_size=n)
    assert (estimate.grad_norm_sq, estimate.trace_sigma) == pytest.approx((g2, trace))
    assert simple_noise_scale(small, big, [pair]).grad_norm_sq < 0.96  # uncorrected: biased low


def test_no_resolvable_signal_gives_no_noise_scale():
    assert simple_noise_scale(4, 8, [(1.0, 1.0)]).noise_scale == 0.0  # equal norms: no noise at all
    assert simple_noise_scale(4, 8, [(1.0, 0.4)]).noise_scale is None  # |G|² estimate (3.2 − 4)/4 < 0


def test_bad_batch_sizes_are_refused():
    with pytest.raises(ValueError, match="need 0 < small < big"):
        unbiased_terms(8, 8, 1.0, 1.0)
    with pytest.raises(ValueError, match="at least one pair"):
        simple_noise_scale(8, 16, [])


def test_probe_recovers_the_analytic_noise_scale_of_linear_regression():
    """Loss ½(w·x − y)², x ~ N(0, I_d), y = w*·x + ε, ε ~ N(0, σ²); at w = w* + e the per-example
    gradient is (e·x − ε)x, so G = e and Σ = (|e|² + σ²)I + eeᵀ (Gaussian fourth moments):
    tr(Σ) = (d + 1)|e|² + dσ² and B_simple = 21 for d = 10, |e| = σ = 1.
    """
    d, n, sigma = 10, 100_000, 1.0
    rng = np.random.default_rng(0)
    w_star = rng.normal(size=d).astype(np.float32)
    e = np.zeros(d, np.float32)
    e[0] = 1.0
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x @ w_star + sigma * rng.normal(size=n)).astype(np.float32)
    model = keras.Sequential([keras.Input((d,)), keras.layers.Dense(1, use_bias=False)])
    model.layers[0].kernel.assign((w_star + e)[:, None])
    probe = GradientNoiseProbe(
        model=model,
        per_example_loss=lambda target, pred: 0.5 * tf.square(pred[:, 0] - target),
        x_train=x,
        y_train=y,
        small_batch_size=16,
        big_batch_size=512,
        seed=1,
    )
    for _ in range(300):
        probe.measure()
    estimate = simple_noise_scale(16, 512, probe.norms_sq, population_size=n)
    analytic = ((d + 1) * 1.0 + d * sigma**2) / 1.0
    # The same quantities computed exactly over the n examples, to separate estimator error from sampling of x.
    per_example = ((x @ (w_star + e) - y)[:, None]) * x
    g = per_example.mean(axis=0)
    exact = float(per_example.var(axis=0).sum() / (g @ g))
    assert exact == pytest.approx(analytic, rel=0.05)
    assert estimate.noise_scale == pytest.approx(exact, rel=0.06)  # seeds 0-3 of this set-up: within 2%
    assert estimate.trace_sigma == pytest.approx(float(per_example.var(axis=0).sum()), rel=0.05)


def test_the_probe_is_refused_a_big_batch_larger_than_the_data():
    with pytest.raises(ValueError, match=r"noise_scale_batch_sizes=\(16, 4096\) is not allowed"):
        runner.prepare(RunSpec(noise_scale_batch_sizes=(16, 4096), steps=1))


@pytest.fixture
def op_determinism():
    tf.config.experimental.enable_op_determinism()
    yield


def test_probing_changes_nothing_in_training_and_reports_the_noise_scale(op_determinism):
    spec = RunSpec(model="mlp_bn", global_batch_size=32, steps=6, seed=3)
    plain = runner.run(spec)
    probed = runner.run(spec.replace(noise_scale_batch_sizes=(8, 64), noise_scale_interval=2))
    assert probed.train_loss == plain.train_loss
    assert probed.test_accuracy == plain.test_accuracy
    assert probed.noise_scale_detail["measurements"] == 3  # before steps 0, 2 and 4
    assert probed.noise_scale > 0
    assert probed.critical_batch_size_estimate == probed.noise_scale
    assert {"first_half_noise_scale", "second_half_noise_scale"} <= set(probed.noise_scale_detail)
    assert plain.noise_scale is None


def test_the_probe_measures_the_same_under_mirrored_as_on_one_device():
    """The probe runs in cross-replica context on the mirrored model: same weights, same draws, same norms."""
    fields = {"global_batch_size": 32, "steps": 1, "noise_scale_batch_sizes": (8, 64)}
    one = runner.prepare(RunSpec(**fields)).noise_probe.measure()
    mirrored = runner.prepare(RunSpec(strategy="mirrored", replicas=2, **fields)).noise_probe.measure()
    assert one[0] > one[1] > 0, "the small batches' gradients are the noisier"
    assert mirrored == pytest.approx(one, rel=1e-5)
