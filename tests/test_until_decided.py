"""Seeds until decided: the suite's loop on simulated seeds (no TensorFlow), the family's looks, the option."""

import re

import numpy as np
import pytest
from scipy import stats as scipy_stats

from bench_lib import questions
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
    assert until_decided.wanted(results, family) == ([1], 1)


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
    assert f"p={4 * plain.p_value:.2g}" in verdict.text() and "the first 3 and 3 seeds of at most 6" in verdict.text()


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


def test_full_adds_seeds_to_every_seeded_question_and_quick_to_the_questions_that_declare_it():
    assert FULL.seeds_until_decided == UntilDecided(10)
    declared = tuple(q.name for q in questions.all_questions() if q.quick_until_decided)
    assert QUICK.seeds_until_decided == UntilDecided(6, declared)
    # the seed article's batch-size answer and the time to accuracy headline; not the "same"-seeking ones
    assert {"batch_size", "time_to_accuracy"} <= set(declared)
    assert "accumulation" not in declared


def _steps(name: str, values: list, question: str = "time_to_accuracy") -> dict:
    """A result of time to accuracy with these steps to the target per seed (None: the seed never reached it)."""
    return {
        "question": question,
        "id": name,
        "status": "ok",
        "spec": {"workers": 1},
        "seeds": list(range(len(values))),
        "seed_statuses": ["ok"] * len(values),
        "seed_stats": {"steps_to_target": stats.summary(values)},
    }


STEPS = READINGS["steps_to_target"]


def _settled(results: list[dict], *pairs: tuple[int, int], metric: str = "steps_to_target") -> Family:
    family = Family()
    for i, j in pairs:
        family.judge(figure(results[i], metric), figure(results[j], metric), READINGS[metric])
    family.settle()
    return family


def test_the_seed_goes_to_the_compared_configuration_not_one_with_the_same_values():
    """c has a's values but is compared with nothing: a and b get the seeds, c none; and a-b and c-b are two
    comparisons of the family, not one."""
    plan = UntilDecided(6)
    results = until_decided.mark([_steps("c", [9, 9, 12]), _steps("a", [9, 9, 12]), _steps("b", [9, 10, 12])], plan)
    assert until_decided.wanted(results, _settled(results, (1, 2))) == ([1, 2], 1)
    assert len(_settled(results, (1, 2), (0, 2))) == 2


def _added(result: dict, value, status: str = "ok") -> dict:
    """extend of one more seed whose run ended `status` with this steps to the target."""
    spec = RunSpec(seed=len(result["seeds"]), target_accuracy=0.9)
    run = RunResult(spec=spec, status=status, seeds=[spec.seed], seed_statuses=[status], steps_to_target=value)
    return extend({**result, "spec": RunSpec(target_accuracy=0.9).as_dict()}, [run])


def test_a_failed_added_seed_keeps_the_configuration_ok_once_and_stops_its_seeds():
    first = _steps("a", [9, 10, 12])
    bad = _added(first, None, "diverged")
    assert bad["status"] == "ok" and "error" not in bad, "one result, still ok: saved once, among the findings"
    assert bad["seed_statuses"] == ["ok", "ok", "ok", "diverged"]
    assert bad["seed_stats"]["steps_to_target"]["values"] == [9, 10, 12, None]
    marked = until_decided.mark([first], UntilDecided(6))[0]
    assert until_decided.held({**marked, **_added(marked, 11)}) is None, "an ok added seed holds nothing"
    held = {**marked, **_added(marked, None, "diverged")}
    assert "added seed 3 ended diverged" in until_decided.held(held)
    results = [held, until_decided.mark([_steps("b", [9, 10, 12])], UntilDecided(6))[0]]
    assert until_decided.wanted(results, _settled(results, (0, 1))) == ([], 0)
    assert until_decided.held_lines(results) == [f"seeds until decided: time_to_accuracy a: {until_decided.held(held)}"]


def test_a_side_whose_added_seeds_keep_missing_the_target_stops_after_two():
    results = [_steps("a", [9, 10, 30]), _steps("b", [9, 10, 12])]
    said: list[str] = []

    def add_seed(result: dict) -> dict:  # a never reaches the target again; b always does
        return _added(result, None if result["id"] == "a" else 11)

    done = until_decided.top_up(results, UntilDecided(10), judge=lambda rs: _settled(rs, (0, 1)), add_seed=add_seed,
                                said=said.append)  # fmt: skip
    assert len(done[0]["seeds"]) == 3 + until_decided.MISSES < 10
    assert "2 of its added seeds gave no steps_to_target" in said[-1]


def test_added_seeds_leave_the_first_pass_timings_and_memory():
    spec = RunSpec(target_accuracy=0.9)
    runs = [RunResult(spec=spec.replace(seed=s), status="ok", seeds=[s], seed_statuses=["ok"], test_accuracy=0.9,
                      examples_per_sec=1000.0, peak_rss_mib=500.0, seconds_to_target=2.0) for s in (0, 1)]  # fmt: skip
    first = combine(runs).as_dict()
    late = RunResult(spec=spec.replace(seed=2), status="ok", seeds=[2], seed_statuses=["ok"], test_accuracy=0.96,
                     examples_per_sec=10.0, peak_rss_mib=9000.0, seconds_to_target=60.0)  # fmt: skip
    grown = extend(first, [late])
    for name in ("examples_per_sec", "peak_rss_mib", "seconds_to_target"):
        assert grown["seed_stats"][name] == first["seed_stats"][name] and grown[name] == first[name], name
    assert grown["seed_stats"]["test_accuracy"]["values"] == [0.9, 0.9, 0.96]
    marked = {**grown, until_decided.KEY: {"first": 2, "cap": 6}}
    assert figure(marked, "seconds_to_target").until_decided is None, "a metric seeds never join has one look"
    assert figure(marked, "test_accuracy").until_decided == (2, 6)


def test_extend_without_per_seed_values_or_statuses_counts_no_mean_as_a_seed():
    first = {**combine([_run_result(0, test_accuracy=0.9), _run_result(1, test_accuracy=0.92)]).as_dict()}
    first["seed_stats"] = {}
    del first["seed_statuses"]
    grown = extend(first, [_run_result(2, test_accuracy=0.94)])
    assert grown["seed_stats"]["test_accuracy"]["values"] == [None, None, 0.94]
    assert grown["seed_statuses"] == ["ok", "ok", "ok"]


def test_the_looks_count_from_the_values_among_the_first_seeds():
    """A first seed that never reached the target: the tested n can start at 2, so 5 looks to a cap of 6, not 4;
    with every first seed giving a value, 4."""
    missed = {**_steps("a", [None, 9, 12]), until_decided.KEY: {"first": 3, "cap": 6}}
    reached = {**_steps("b", [9, 10, 12]), until_decided.KEY: {"first": 3, "cap": 6}}
    assert figure(missed, "steps_to_target").until_decided == (2, 6)
    assert Family().judge(figure(missed, "steps_to_target"), figure(reached, "steps_to_target"), STEPS).looks == 5
    assert Family().judge(figure(reached, "steps_to_target"), figure(reached, "steps_to_target"), STEPS).looks == 4


def test_a_marked_comparison_with_one_value_a_side_asks_for_seeds_and_an_unmarked_one_does_not():
    results = until_decided.mark([_steps("a", [None, None, 9]), _steps("b", [9, 10, 12])], UntilDecided(6))
    family = _settled(results, (0, 1))
    assert [m for m, _, _ in family.undecided()] == ["steps_to_target"]
    assert until_decided.wanted(results, family) == ([0], 1)
    plain = [_steps("a", [None, None, 9]), _steps("b", [9, 10, 12])]
    assert _settled(plain, (0, 1)).undecided() == []


def test_an_undecided_comparison_judged_alone_states_what_it_could_detect_over_its_looks():
    a = Figure(0.9, None, 3, (0.90, 0.91, 0.92), until_decided=(3, 6))
    b = Figure(0.9, None, 3, (0.90, 0.93, 0.91), until_decided=(3, 6))
    verdict = Family().judge(a, b, ACCURACY)
    plain = inference.compare(a.values, b.values, ACCURACY.margin)
    assert verdict.comparison.detectable == pytest.approx(inference.detectable(plain, inference.ALPHA / 4))
    assert verdict.comparison.detectable > plain.detectable
    assert "(×4 looks)" in verdict.text()


def test_a_comparison_with_one_side_marked_tests_all_of_the_other_and_names_no_cap():
    a = Figure(0.9, None, 3, (0.90, 0.91, 0.92), until_decided=(3, 6))
    b = Figure(0.9, None, 5, (0.95, 0.96, 0.97, 0.95, 0.96))
    verdict = Family().judge(a, b, ACCURACY)
    assert verdict.comparison.n == (3, 5) and verdict.cap is None
    assert "at most" not in verdict.text() and "first" not in verdict.text()


def test_the_progress_line_counts_the_comparisons_that_wanted_a_seed():
    """Two marked configurations, one undecided comparison between them, and one undecided comparison of figures
    no result owns (it can get no seed): the line counts one."""
    results = [_result("small", [0.90, 0.91, 0.92]), _result("large", [0.90, 0.93, 0.91])]

    def judge(rs: list[dict]) -> Family:
        family = Family()
        family.judge(figure(rs[0], "test_accuracy"), figure(rs[1], "test_accuracy"), ACCURACY)
        family.judge(Figure(0.9, None, 3, (0.5, 0.9, 1.3)), Figure(0.9, None, 3, (0.4, 1.0, 1.2)), ACCURACY)
        family.settle()
        return family

    said: list[str] = []
    until_decided.top_up(results, UntilDecided(4), judge=judge, add_seed=_seeder({"small": 0.9, "large": 0.9}, 0.01,
                         np.random.default_rng(0)), said=said.append)  # fmt: skip
    assert said and all(line.endswith("(1 undecided comparison to decide)") for line in said)


def test_a_colon_without_questions_is_refused():
    with pytest.raises(pytest.UsageError, match=re.escape("name one question or more after ':'")):
        options._until_decided("--bench-seeds-until-decided", "6:")


def test_seeds_at_or_above_the_profile_cap_are_named_as_why_none_are_added():
    from types import SimpleNamespace

    from bench_lib.suite import stash

    config = SimpleNamespace(stash=pytest.Stash())
    config.stash[stash.PROFILE] = QUICK.changed({"seeds": 6})
    assert "cap of 6 seeds is not above the 6 seeds" in until_decided.why_not_here(config)
