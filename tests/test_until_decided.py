"""Seeds until decided: the suite's loop on simulated seeds (no TensorFlow), the family's looks, the option."""

import re

import numpy as np
import pytest
from scipy import stats as scipy_stats

from bench_lib.analysis.family import Family
from bench_lib.analysis.vocabulary import READINGS, Figure, figure
from bench_lib.config.spec import RunSpec
from bench_lib.maths import inference, stats
from bench_lib.record.result import RunResult
from bench_lib.record.seeds import combine, extend
from bench_lib.suite import options, until_decided
from bench_lib.suite.profiles import FULL, QUICK, UntilDecided

ACCURACY = READINGS["test_accuracy"]


def _result(name: str, values: list[float], question: str = "batch_size") -> dict:
    return {
        "question": question,
        "id": name,
        "status": "ok",
        "spec": {"workers": 1},
        "seeds": list(range(len(values))),
        "seed_stats": {"test_accuracy": stats.summary(values)},
        "test_accuracy": float(np.mean(values)),
    }


def _judge(others: int = 0):
    """A judge of the first two results' accuracies, in a family with `others` comparisons that decide nothing."""

    def judge(results: list[dict]) -> Family:
        family = Family()
        family.judge(figure(results[0], "test_accuracy"), figure(results[1], "test_accuracy"), ACCURACY)
        for i in range(others):  # far apart, so they take Holm's strictest steps
            low, high = Figure(0.5, None, 3, (0.5, 0.6, 0.7 + i / 1e4)), Figure(0.9, None, 3, (0.8, 0.9, 1.0))
            family.judge(low, high, ACCURACY)
        family.settle()
        return family

    return judge


def _seeder(means: dict[str, float], sd: float, rng: np.random.Generator):
    """add_seed: one more value drawn from the configuration's normal distribution."""

    def add_seed(result: dict) -> dict:
        values = [*result["seed_stats"]["test_accuracy"]["values"], float(rng.normal(means[result["id"]], sd))]
        return {**result, "seeds": list(range(len(values))), "seed_stats": {"test_accuracy": stats.summary(values)}}

    return add_seed


def _decided(results: list[dict], judge) -> str:
    a, b = (figure(r, "test_accuracy") for r in results[:2])
    return judge(results).judge(a, b, ACCURACY).decision


def _run(means: dict[str, float], sd: float, seed: int, *, cap: int = 10, others: int = 24) -> tuple[str, list[dict]]:
    rng = np.random.default_rng(seed)
    first = [_result(name, list(rng.normal(mean, sd, 3))) for name, mean in means.items()]
    judge = _judge(others)
    done = until_decided.top_up(first, UntilDecided(cap), judge=judge, add_seed=_seeder(means, sd, rng))
    return _decided(done, judge), done


def test_a_true_difference_gets_seeds_until_it_is_real():
    word, done = _run({"small": 0.90, "large": 0.93}, sd=0.012, seed=1)
    assert word == "real"
    assert 3 < len(done[0]["seeds"]) == len(done[1]["seeds"]) <= 10
    assert done[0][until_decided.KEY] == {"first": 3, "cap": 10}


def test_equal_configurations_end_same_or_undecided_at_the_cap_never_real():
    for seed in range(8):
        word, done = _run({"small": 0.90, "large": 0.90}, sd=0.004, seed=seed, others=4)
        assert word in ("same", "undecided")
        assert word == "same" or len(done[0]["seeds"]) == 10


def test_the_looks_keep_alpha_where_testing_every_look_at_alpha_would_not():
    """Equal configurations, alone in their family: the share ever called real over the 8 looks from 3 to 10 seeds
    stays within α with the looks' multiplier; testing each look at α calls more than α real (so the check can
    see a rule that cries wolf)."""
    rng = np.random.default_rng(7)
    a, b = rng.normal(0, 1, (2000, 10)), rng.normal(0, 1, (2000, 10))
    p = np.stack([scipy_stats.ttest_ind(a[:, :n], b[:, :n], axis=1, equal_var=False).pvalue for n in range(3, 11)])
    looks = inference.looks(3, 10)
    kept = np.vectorize(inference.over_looks)(p, looks) < inference.ALPHA
    assert kept.any(axis=0).mean() <= inference.ALPHA
    assert (p < inference.ALPHA).any(axis=0).mean() > inference.ALPHA


def test_a_side_with_more_seeds_than_the_comparison_tests_gets_none():
    more, fewer = _result("a", [0.9, 0.91, 0.92, 0.90]), _result("b", [0.9, 0.95, 0.85])
    results = until_decided.mark([more, fewer], UntilDecided(6))
    family = Family()
    a, b = (figure(r, "test_accuracy") for r in results)
    family.judge(a, b, ACCURACY)
    family.settle()
    assert until_decided.wanted(results, family) == [1]


def test_only_ok_seeded_configurations_of_the_chosen_questions_under_the_cap_are_marked():
    plan = UntilDecided(5, ("batch_size",))
    one_seed, other = _result("one", [0.9]), _result("other", [0.9, 0.8], question="lr_tuning")
    failed, capped = {**_result("failed", [0.9, 0.8]), "status": "diverged"}, _result("capped", [0.9] * 5)
    assert until_decided.eligible(_result("ok", [0.9, 0.8]), plan)
    assert not any(until_decided.eligible(r, plan) for r in (one_seed, other, failed, capped))
    assert until_decided.eligible(other, UntilDecided(5))


def test_the_family_tests_the_first_n_seeds_a_side_and_multiplies_by_the_looks():
    a = Figure(0.9, None, 5, (0.90, 0.91, 0.92, 0.50, 0.50), until_decided=(3, 6))
    b = Figure(0.9, None, 3, (0.95, 0.96, 0.97), until_decided=(3, 6))
    verdict = Family().judge(a, b, ACCURACY)
    plain = inference.compare(a.values[:3], b.values, ACCURACY.margin)
    assert verdict.comparison.n == (3, 3) and verdict.comparison.p_value == plain.p_value
    assert verdict.looks == 4 and verdict.cap == 6
    assert f"p={4 * plain.p_value:.2g}" in verdict.text() and "3 and 3 seeds of at most 6" in verdict.text()


def test_a_run_without_added_seeds_is_judged_as_before():
    a, b = Figure(0.9, None, 3, (0.90, 0.91, 0.92)), Figure(0.9, None, 3, (0.95, 0.96, 0.97))
    verdict = Family().judge(a, b, ACCURACY)
    assert verdict.looks == 1 and verdict.cap is None and "looks" not in verdict.text()


def test_over_looks_is_bonferroni_and_refuses_no_looks():
    assert inference.over_looks(0.01, 4) == pytest.approx(0.04)
    assert inference.over_looks(0.4, 4) == 1.0
    with pytest.raises(ValueError, match="planned_looks=0"):
        inference.over_looks(0.1, 0)


def _run_result(seed, status="ok", **metrics):
    spec = RunSpec(seed=seed, target_accuracy=0.9)
    return RunResult(spec=spec, status=status, seeds=[seed], seed_statuses=[status], **metrics)


def test_added_seeds_join_the_saved_result_as_the_first_ones_did():
    first = combine([_run_result(0, test_accuracy=0.90), _run_result(1, test_accuracy=0.92)]).as_dict()
    grown = extend({**first, "question": "batch_size"}, [_run_result(2, test_accuracy=0.94)])
    whole = combine([_run_result(s, test_accuracy=v) for s, v in ((0, 0.90), (1, 0.92), (2, 0.94))]).as_dict()
    assert grown["seed_stats"]["test_accuracy"] == whole["seed_stats"]["test_accuracy"]
    assert grown["test_accuracy"] == pytest.approx(0.92) and grown["seeds"] == [0, 1, 2]
    assert grown["spec"]["seeds"] == 3 and grown["seed_statuses"] == ["ok", "ok", "ok"]
    assert grown["question"] == "batch_size" and grown["id"] == first["id"]
    bad = extend(first, [_run_result(2, "diverged", diverged_at_step=4)])
    assert bad["status"] == "diverged" and bad["error"] == "seed 2: diverged"
    with pytest.raises(ValueError, match="each seed once"):
        extend(first, [_run_result(1, test_accuracy=0.9)])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1", "the cap is 0 (no seeds added) or >= 2"),
        ("x", "comma-separated whole numbers"),
        ("6:time_to_acuracy", "'time_to_acuracy' is not a question"),
    ],
)
def test_a_bad_cap_is_one_line_naming_the_option(text, message):
    with pytest.raises(pytest.UsageError, match=re.escape(message)) as raised:
        options._until_decided("--bench-seeds-until-decided", text)
    assert str(raised.value).startswith(f"--bench-seeds-until-decided={text!r} is not allowed")


def test_the_option_reads_a_cap_and_questions_and_zero_adds_none():
    assert options._until_decided("o", "8") == UntilDecided(8)
    assert options._until_decided("o", "6:time_to_accuracy") == UntilDecided(6, ("time_to_accuracy",))
    assert options._until_decided("o", "0") is None


def test_a_cap_at_or_under_the_first_seeds_is_refused():
    with pytest.raises(pytest.UsageError, match="the cap must be above the 5 seeds"):
        options._check_until_decided(FULL.changed({"seeds_until_decided": UntilDecided(5)}))


def test_full_adds_seeds_to_every_seeded_question_and_quick_to_the_headline_only():
    assert FULL.seeds_until_decided == UntilDecided(10)
    assert QUICK.seeds_until_decided == UntilDecided(6, ("time_to_accuracy",))
