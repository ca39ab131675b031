import math

import pytest
from scipy import stats as scipy_stats

from bench_lib.analysis.family import Family
from bench_lib.analysis.vocabulary import READINGS, Figure
from bench_lib.maths import inference
from bench_lib.maths.inference import Margin

STEPS = Margin("ratio", 0.2)
POINT = Margin("difference", 0.01)


def test_a_tenfold_fall_from_three_seeds_is_real_on_the_log_scale():
    c = inference.compare([60, 90, 123], [7, 9, 11], STEPS)
    assert 0.09 < c.estimate < 0.11 and c.ci95[1] < 1
    assert c.p_value < 0.005
    assert inference.decide(c.p_value, c.equivalence_p) == "real"


def test_the_p_value_is_welchs_on_the_scale_of_the_margin():
    a, b = [0.90, 0.91, 0.93], [0.85, 0.86, 0.90]
    c = inference.compare(a, b, POINT)
    assert math.isclose(c.p_value, scipy_stats.ttest_ind(b, a, equal_var=False).pvalue)
    logs = inference.compare([60, 90, 123], [7, 9, 11], STEPS)
    expected = scipy_stats.ttest_ind([math.log(v) for v in (7, 9, 11)], [math.log(v) for v in (60, 90, 123)],
                                     equal_var=False)  # fmt: skip
    assert math.isclose(logs.p_value, expected.pvalue)


def test_two_groups_inside_the_margin_are_same_and_a_wide_pair_is_undecided():
    close = inference.compare([0.9070, 0.9072, 0.9068, 0.9071], [0.9075, 0.9073, 0.9077, 0.9074], POINT)
    assert inference.decide(close.p_value, close.equivalence_p) == "same"
    wide = inference.compare([0.589, 0.731, 0.873], [0.598, 0.726, 0.854], POINT)
    assert inference.decide(wide.p_value, wide.equivalence_p) == "undecided"
    assert wide.detectable > 0.3, "three seeds spread ±14 points cannot see a difference under ~30 points"


def test_a_difference_just_outside_the_margin_is_never_same():
    c = inference.compare([0.900, 0.901, 0.899, 0.900], [0.915, 0.916, 0.914, 0.915], POINT)
    assert c.equivalence_p > 0.5 and inference.decide(c.p_value, c.equivalence_p) == "real"


def test_holm_multiplies_the_smallest_p_by_m_and_keeps_the_order():
    assert inference.holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert inference.holm([]) == []
    assert inference.holm([0.9, 0.8]) == [1.0, 1.0]  # 2 × 0.8 capped at 1; never below the one before


def _borderline(i: int) -> tuple[Figure, Figure]:
    """A fall of 0.04 over 3 seeds a side: real at α, not at α/4 (pair i: configurations of their own)."""
    return (
        Figure(0.92, None, 3, (0.905, 0.92, 0.935), source=("q", f"a{i}")),
        Figure(0.88, None, 3, (0.865, 0.88, 0.895), source=("q", f"b{i}")),
    )


def _settled(pairs: int) -> Family:
    family = Family()
    for i in range(pairs):
        family.judge(*_borderline(i), READINGS["test_accuracy"])
    family.settle()
    return family


def test_a_family_decides_after_correction():
    assert _settled(1).judge(*_borderline(0), READINGS["test_accuracy"]).decision == "real"
    four = _settled(4)
    assert [four.judge(*_borderline(i), READINGS["test_accuracy"]).decision for i in range(4)] == ["undecided"] * 4


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="at least 2 values"):
        inference.compare([1.0], [2.0, 3.0], POINT)
    with pytest.raises(ValueError, match="ratio scale"):
        inference.compare([0.0, 1.0], [2.0, 3.0], STEPS)
    with pytest.raises(ValueError, match=r"margin=1\.5"):
        Margin("ratio", 1.5)
    with pytest.raises(ValueError, match="scale='log'"):
        Margin("log", 0.1)


def test_the_looks_run_from_first_to_cap_and_refuse_fewer_than_two():
    assert inference.looks(3, 8) == 6
    assert inference.looks(2, 2) == 1
    with pytest.raises(ValueError, match="first=1"):
        inference.looks(1, 4)


def test_the_critical_batch_is_recovered_from_mcCandlish_curve_with_an_interval():
    per_batch = {b: [40 * (1 + 100 / b) * f for f in (0.95, 1.0, 1.05)] for b in (16, 64, 256, 1024)}
    found = inference.critical_batch(per_batch)
    assert found.b_crit == pytest.approx(100, rel=0.01) and found.s_min == pytest.approx(40, rel=0.01)
    assert found.ci95[0] < 100 < found.ci95[1]
    # a series that keeps halving its steps has a critical batch beyond the grid
    linear = {b: [40 * (1 + 1e5 / b)] for b in (16, 64, 256)}
    assert inference.critical_batch(linear).b_crit > 1e4 and inference.critical_batch(linear).ci95 is None
    with pytest.raises(ValueError, match="3 batch sizes"):
        inference.fit_tradeoff([16, 32], [10, 5])
