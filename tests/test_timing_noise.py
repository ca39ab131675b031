"""The timing noise rule: its floor on literal inputs, and A/A and 1.5x slowdown copies of the example run."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import scaled_run
from scipy.stats import nct
from scipy.stats import t as student_t

from bench_lib.analysis import timing_noise, verdict
from bench_lib.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[1] / "reports" / "example" / "0001_example.json"
# The example's configurations with 7 per-step rounds spread by 35-53%: a rank test on so few
# rounds cannot resolve a 1.5x change at p < 0.01 (p = 0.03-0.13), so they stay 'same'.
TOO_FEW_ROUNDS = {
    "batch_size/one_device-bs512-acc1-mlp-adam",
    "batch_size/mirrored2-bs512-acc1-mlp-adam",
    "lr_scaling/one_device-bs512-acc1-mlp-adam",
    "lr_scaling/one_device-bs512-acc1-mlp-adam-lrlinear32-wu1",
    "lr_scaling/one_device-bs512-acc1-mlp-adam-lrsqrt32-wu1",
}


def test_the_process_spread_is_the_classic_pooled_sd_of_log_medians():
    groups = [[10.0, 10.4, 9.7, 10.1], [10.2, 9.9, 10.3], [5.0, 5.1, 4.9], [2.0, 2.2, 2.1]]
    spread = timing_noise.pooled_process_spread(groups)
    logs = [np.log(g) for g in groups]
    expected = math.sqrt(sum(((g - g.mean()) ** 2).sum() for g in logs) / 9)
    assert spread.dof == 9 and spread.sigma == pytest.approx(expected)
    assert timing_noise.pooled_process_spread([[1.0, 1.1], [2.0, 2.1], [3.0]]) is None  # 2 dof: too few


def test_a_process_noise_is_a_t_test_at_p_0002_with_pooled_dof():
    spread = timing_noise.Spread(0.05, 40, "test")
    noise = timing_noise.process_noise(spread, 3, 3)
    crit = student_t.ppf(1 - timing_noise.PROCESS_ALPHA / 2, 40) * 0.05 * math.sqrt(2 / 3)
    assert noise.significant(crit * 1.01) and not noise.significant(crit * 0.99)
    assert noise.significant(-crit * 1.01), "symmetric"
    assert noise.p_value(crit) == pytest.approx(timing_noise.PROCESS_ALPHA)
    assert "3 vs 3 processes" in noise.source


def test_the_detectable_change_has_the_stated_power():
    noise = timing_noise.Noise("test", se=0.05, dof=30)
    delta = math.log(noise.detectable())
    crit = student_t.ppf(1 - timing_noise.PROCESS_ALPHA / 2, 30)
    power = 1 - nct.cdf(crit, 30, delta / 0.05)  # the noncentral t: the chance a true change of delta is called
    assert power == pytest.approx(timing_noise.POWER, abs=0.02)
    assert timing_noise.Noise("test", se=0.1, dof=30).detectable() > noise.detectable()


def test_the_robust_spread_is_not_widened_by_a_shift_every_configuration_shares():
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 0.04, 40)
    alone, shifted = timing_noise.robust_spread(noise, "x"), timing_noise.robust_spread(noise + math.log(1.2), "x")
    assert shifted.sigma == pytest.approx(alone.sigma) and 0.025 < alone.sigma < 0.06
    assert timing_noise.robust_spread(noise[:7], "x") is None


def test_the_run_level_shift_does_not_cry_wolf_on_a_a_and_sees_a_uniform_slowdown():
    rng = np.random.default_rng(1)
    # The order-statistic interval of 21 values at 99% is exact: 0.72% false alarms (an off-by-one, 2.7%).
    false_alarms = sum(timing_noise.shift(rng.normal(0, 0.1, 21)).significant for _ in range(4000))
    assert false_alarms / 4000 <= timing_noise.RUN_ALPHA
    shifted = timing_noise.shift(rng.normal(math.log(1.2), 0.1, 21))
    assert shifted.significant and 0 < shifted.low < math.log(1.2) < shifted.high
    assert timing_noise.shift([0.1] * 7) is None


def test_a_run_trained_for_accuracy_gets_the_wider_fallback_floor_of_its_kind():
    accuracy_run, timed_run, older_run = ({"spec": {"timed_blocks": None}}, {"spec": {"timed_blocks": 10}},
                                          {"spec": {"epochs": 5}})  # fmt: skip
    assert timing_noise.kind_of(accuracy_run) == timing_noise.TRAINED
    assert timing_noise.kind_of(timed_run) == timing_noise.kind_of(older_run) == timing_noise.BLOCKS
    floor = timing_noise.fallback_floor(timing_noise.TRAINED, "why")
    assert floor.floor == 1.8 and floor.detectable() == 1.8 and "fallback: why" in floor.describe()
    assert floor.significant(math.log(1.85)) and not floor.significant(math.log(1.66))
    assert floor.significant(-math.log(1.85)), "symmetric in log"


def test_malformed_process_medians_are_ignored():
    for bad in ([1.0, -1.0], [1.0, "x"], "1,2", [1.0, math.inf], None):
        assert timing_noise.process_medians({"process_medians": bad}) == ()
    assert timing_noise.process_medians({"process_medians": [1, 2.5]}) == (1.0, 2.5)


def test_rounds_too_few_for_the_rank_test_fall_back_to_iqrs_and_say_so():
    differ, method = timing_noise.rounds_differ([1.0, 1.1, 1.0, 0.9], [2.0, 2.1, 1.9, 2.0])
    assert differ and method == "rounds: IQRs compared (4 vs 4 rounds cannot reach p<0.01)"
    differ, method = timing_noise.rounds_differ([1.0, 1.1, 1.0, 0.9, 1.0, 1.05, 0.95], [2.0] * 7)
    assert differ and method.startswith("rounds: Mann-Whitney U p=")
    with pytest.raises(ValueError, match="at least 2 rounds a run, got 1 and 7"):
        timing_noise.rounds_differ([1.0], [2.0] * 7)


def write(folder: Path, name: str, data: dict) -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def compare(tmp_path: Path, base: dict, new: dict, capsys, *options: str) -> tuple[int, list[list[str]], str]:
    """compare's exit status, its table rows split into cells, and its whole output."""
    paths = [str(write(tmp_path, name, data)) for name, data in (("0001_a", base), ("0002_b", new))]
    code = main(["compare", *paths, "--reports", str(tmp_path), *options])
    out = capsys.readouterr().out
    rows = [line.split(" | ") for line in out.splitlines() if line.startswith("| ") and "/" in line.split(" | ")[0]]
    return code, rows, out


def step_rows(rows: list[list[str]]) -> list[list[str]]:
    return [r for r in rows if r[1] == "step time (median)"]


def run_level(out: str, label: str = "step time (median)") -> str:
    """The run-level verdict of a timing metric."""
    return next(line.split(" | ") for line in out.splitlines() if line.startswith(f"| {label} |"))[2]


EXAMPLE_DATA = json.loads(EXAMPLE.read_text())
TIMED = len(scaled_run.timed(EXAMPLE_DATA))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_a_a_pair_with_between_process_noise_has_nothing_worse(tmp_path, capsys, seed):
    # Each configuration's rerun lands exp(N(0, 0.08)) times as long: 8% between-process spread.
    code, rows, out = compare(tmp_path, EXAMPLE_DATA, scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.08, seed=seed),
                              capsys)  # fmt: skip
    assert len(step_rows(rows)) == TIMED
    assert [r[0] for r in rows if r[5] == "**worse**"] == []
    assert run_level(out) == "same" and code == 0


def test_a_uniform_20_percent_slowdown_is_worse_at_run_level_and_each_row_says_what_it_could_see(tmp_path, capsys):
    # One process a run: a row must also pass its kind's floor (x1.35 / x1.8), so the shared 20% is the
    # run level's to see; each row states that it could not have seen 20% instead of printing a bare "same".
    slow = scaled_run.scaled(EXAMPLE_DATA, 1.2, jitter=0.03, seed=4)
    code, rows, out = compare(tmp_path, EXAMPLE_DATA, slow, capsys)
    assert [r[0] for r in step_rows(rows) if r[5] == "**worse**"] == []
    judged = [r for r in step_rows(rows) if "spread of 74 timed in blocks configurations' log ratios" in r[7]]
    assert judged and all("**insensitive**" in r[6] and "beyond ×1.35 (one process a run)" in r[7] for r in judged)
    assert run_level(out) == "**worse**" and run_level(out, "throughput") == "**worse**"
    assert code == 1
    code, rows, out = compare(tmp_path, EXAMPLE_DATA, slow, capsys, "--fail-on", "time:35%,throughput:35%")
    assert [r for r in rows if r[5] == "**worse**"] == [] and run_level(out) == "same" and code == 0


def test_one_configuration_running_30_percent_faster_between_identical_processes_is_no_verdict(tmp_path, capsys):
    # The heavy tail a quiet A/A shows: most configurations within 3%, one 30% faster (x1.3) on its rerun.
    # Against the spread across configurations that is p < 1e-6, yet it is between-process noise.
    rerun = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.03, seed=5)
    scaled_run.scale_benchmark(scaled_run.timed(rerun)[0], 1 / 1.3)
    code, rows, out = compare(tmp_path, EXAMPLE_DATA, rerun, capsys)
    assert [r[0] for r in rows if r[5].strip("*") in ("worse", "better")] == []
    assert run_level(out) == "same" and code == 0


def test_every_round_one_and_a_half_times_as_long_is_worse(tmp_path, capsys):
    code, rows, _ = compare(tmp_path, EXAMPLE_DATA, scaled_run.scaled(EXAMPLE_DATA, 1.5), capsys)
    timing = [r for r in rows if r[1] in ("step time (median)", "throughput")]
    assert len(timing) == 2 * TIMED
    resolved = [r for r in timing if r[0].removeprefix("| ") not in TOO_FEW_ROUNDS]
    assert {r[5] for r in resolved} == {"**worse**"}
    unresolved = [r for r in timing if r[0].removeprefix("| ") in TOO_FEW_ROUNDS]
    assert len(unresolved) == 2 * len(TOO_FEW_ROUNDS) and {r[5] for r in unresolved} == {"same"}
    assert code == 1


def test_with_five_processes_a_run_a_10_percent_slowdown_is_seen_and_an_a_a_is_quiet(tmp_path, capsys):
    # Five processes a run whose medians spread by 2% (the spread of a quiet 2-core machine's
    # processes with one intra-op thread).
    base = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.02, seed=5, processes=5)
    same = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.02, seed=6, processes=5)
    code, rows, _ = compare(tmp_path, base, same, capsys)
    assert [r for r in rows if r[5] == "**worse**"] == [] and code == 0
    slow = scaled_run.scaled(EXAMPLE_DATA, 1.1, jitter=0.02, seed=6, processes=5)
    code, rows, _ = compare(tmp_path, base, slow, capsys)
    worse = [r for r in step_rows(rows) if r[5] == "**worse**"]
    assert len(worse) >= 0.9 * TIMED, f"{len(worse)} of {TIMED}"
    assert "process medians" in worse[0][7] and "5 vs 5 processes" in worse[0][7]
    assert code == 1


def test_the_threshold_given_is_the_one_applied(tmp_path, capsys):
    # ×1.05, surely below 10% with tight processes: same; worse with a threshold of 3%.
    base = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.01, seed=7, processes=3)
    slower = scaled_run.scaled(EXAMPLE_DATA, 1.05, jitter=0.01, seed=8, processes=3)
    code, rows, _ = compare(tmp_path, base, slower, capsys)
    assert {r[5] for r in step_rows(rows)} == {"same"} and code == 0
    below = [r for r in step_rows(rows) if "below the threshold time:10% (--fail-on)" in r[7]]
    assert len(below) >= 0.9 * TIMED, "the rest are not significant: their estimate fell short of ×1.05"
    code, rows, _ = compare(tmp_path, base, slower, capsys, "--fail-on", "time:3%,throughput:3%")
    assert len([r for r in step_rows(rows) if r[5] == "**worse**"]) >= 0.9 * TIMED and code == 1


def test_a_slowdown_of_exactly_the_thresholds_size_is_worse_unless_surely_below_it():
    time = next(m for m in verdict.compared() if m.compare == "time")
    throughput = next(m for m in verdict.compared() if m.compare == "throughput")
    # An estimate of +9% whose one-sided bound reaches past +10% is worse; +5% is surely below; no margin: strict.
    assert verdict.beyond_threshold(time, 9.0, 10.0, margin=0.02) == (True, False)
    assert verdict.beyond_threshold(time, 5.0, 10.0, margin=0.02) == (False, False)
    assert verdict.beyond_threshold(time, 9.0, 10.0, margin=0.0) == (False, False)
    assert verdict.beyond_threshold(throughput, -9.0, 10.0, margin=0.02) == (True, False)
    assert verdict.beyond_threshold(time, -9.0, 10.0, margin=0.02) == (False, True)
    noise = timing_noise.Noise("test", se=0.01, dof=40)
    assert noise.margin() == pytest.approx(student_t.ppf(1 - timing_noise.MARGIN_ALPHA, 40) * 0.01)
    assert timing_noise.fallback_floor(timing_noise.BLOCKS, "why").margin() == 0.0


def test_a_10_percent_slowdown_is_worse_on_nearly_every_row_though_half_the_estimates_fall_short_of_10_percent(
    tmp_path, capsys
):
    # Two independent nightly-like runs, 5 processes each spread by 2%: the second ×1.1. Each row's estimate
    # lands on either side of +10%; only the rows surely below it may be 'same'.
    base = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.02, seed=14, processes=5, pass_drift=0.01)
    slow = scaled_run.scaled(EXAMPLE_DATA, 1.1, jitter=0.02, seed=15, processes=5, pass_drift=0.01)
    code, rows, _ = compare(tmp_path, base, slow, capsys)
    short = [r for r in step_rows(rows) if float(r[4].strip("%")) < 10]
    assert len(short) > 0.2 * TIMED, "the estimates scatter around +10%"
    worse = [r for r in step_rows(rows) if r[5] == "**worse**"]
    assert len(worse) >= 0.9 * TIMED and code == 1, f"{len(worse)} of {TIMED}"


def test_an_insensitive_comparison_is_counted_and_can_fail_with_its_own_status(tmp_path, capsys):
    noisy = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.3, seed=9)
    code, rows, out = compare(tmp_path, EXAMPLE_DATA, noisy, capsys)
    assert code == 0 and f"{TIMED} of {TIMED} timed benchmarks could not have seen a change of the threshold's" in out
    assert all(r[6].endswith("**insensitive**") for r in step_rows(rows))
    assert compare(tmp_path, EXAMPLE_DATA, noisy, capsys, "--fail-insensitive")[0] == 3
    base = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.02, seed=10, processes=3)
    tight = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.02, seed=11, processes=3)
    code, rows, out = compare(tmp_path, base, tight, capsys, "--fail-insensitive")
    assert code == 0 and f"0 of {TIMED} timed benchmarks could not" in out
    assert compare(tmp_path, EXAMPLE_DATA, scaled_run.scaled(noisy, 1.5), capsys, "--fail-insensitive")[0] == 1


def test_a_configuration_that_changed_is_named_not_judged(tmp_path, capsys):
    changed = scaled_run.scaled(EXAMPLE_DATA, 1.0)
    bench = scaled_run.timed(changed)[0]
    bench["extra_info"]["spec"]["epochs"] = 2
    scaled_run.scale_benchmark(bench, 3.0)
    key = f"{bench['group'].removeprefix('test_')}/{bench['extra_info']['id']}"
    code, rows, out = compare(tmp_path, EXAMPLE_DATA, changed, capsys)
    mine = [r for r in rows if r[0] == f"| {key}"]
    assert mine and {r[5] for r in mine} == {"configuration changed"}
    assert all(r[7].startswith("configuration changed: epochs 5 -> 2") for r in mine)
    assert "1 configuration changed over" in out or ", 5 configuration changed over" in out
    assert code == 0


# ---- per-configuration variances that borrow strength (moderated, Smyth 2004) ----------------------


def test_the_prior_recovers_the_spread_of_the_configurations_variances():
    # True variances from a scaled inverse-χ² with d0 = 10 around s0 = 0.03; each seen with 8 dof.
    rng = np.random.default_rng(0)
    true = 10 * 0.03**2 / rng.chisquare(10, 4000)
    seen = true * rng.chisquare(8, 4000) / 8
    prior = timing_noise.variance_prior(seen, [8] * 4000)
    assert prior.d0 == pytest.approx(10, rel=0.25) and math.sqrt(prior.s0_squared) == pytest.approx(0.03, rel=0.05)


def test_equal_variances_are_the_pooled_case():
    # Variances that differ by no more than sampling explains: d0 infinite, s0² the pooled variance.
    seen = [0.02**2 * q for q in (0.9, 1.0, 1.1, 0.95, 1.05)]
    prior = timing_noise.variance_prior(seen, [8] * 5)
    assert prior.d0 == math.inf and prior.s0_squared == pytest.approx(np.mean(seen))
    spreads = timing_noise.moderated_spreads({str(i): (v * 8, 8) for i, v in enumerate(seen)})
    assert [s.sigma for s in spreads.values()] == pytest.approx([math.sqrt(np.mean(seen))] * 5)
    assert {s.dof for s in spreads.values()} == {40} and "pooled" in spreads["0"].source
    with pytest.raises(ValueError, match="variance_prior needs 3"):
        timing_noise.variance_prior([1.0, 2.0], [4, 4])


def test_a_noisy_configuration_keeps_most_of_its_own_variance_and_a_quiet_one_its_own_quietness():
    rng = np.random.default_rng(1)
    sigmas = [0.02] * 18 + [0.15] * 3
    within = {f"c{i}": (float(np.sum((x - x.mean()) ** 2) + np.sum((y - y.mean()) ** 2)), 8.0)
              for i, s in enumerate(sigmas) for x, y in [rng.normal(0, s, (2, 5))]}  # fmt: skip
    spreads = timing_noise.moderated_spreads(within)
    quiet, noisy = [spreads[f"c{i}"].sigma for i in range(18)], [spreads[f"c{i}"].sigma for i in range(18, 21)]
    pooled = math.sqrt(sum(ss for ss, _ in within.values()) / 168)
    assert max(quiet) < pooled < min(noisy), (quiet, noisy, pooled)
    assert "moderated towards 21 configurations'" in spreads["c0"].source
    assert timing_noise.moderated_spreads({"a": (0.01, 3.0), "b": (0.01, 4.0)}) is None  # 7 dof: too few


def _family_false_alarms(sigmas, trials, rng, slowdown=1.0, drift=0.0):
    """How many of `trials` simulated comparisons, 5 vs 5 processes, call some configuration different; and, with a
    slowdown, the share of configurations called different."""
    alpha = timing_noise.config_alpha(len(sigmas))
    alarms, seen = 0, []
    for _ in range(trials):
        runs = []
        for shift in (0.0, math.log(slowdown)):
            pass_effect = rng.normal(0, drift, 5)
            runs.append({f"c{i}": shift + pass_effect + rng.normal(0, s, 5) for i, s in enumerate(sigmas)})
        within, effects = {k: (0.0, 0.0) for k in runs[0]}, []
        for run in runs:
            squares, pass_effects = timing_noise.within_squares(run, {k: range(5) for k in run} if drift else None)
            effects.append(pass_effects)
            within = {k: (within[k][0] + squares[k][0], within[k][1] + squares[k][1]) for k in run}
        shared = timing_noise.pass_drift_variance(*effects)
        spreads = timing_noise.moderated_spreads(within)
        called = [timing_noise.process_noise(spreads[k], 5, 5, alpha, shared).significant(
            float(runs[1][k].mean() - runs[0][k].mean())) for k in runs[0]]  # fmt: skip
        alarms += any(called)
        seen.append(np.mean(called))
    return alarms, float(np.mean(seen))


def test_moderated_variances_keep_the_family_rate_where_configurations_differ_in_noise_and_see_10_percent():
    # 18 configurations as quiet as the nightly levers make one (2%), 3 as noisy as a 2-step resnet50 (15%).
    rng = np.random.default_rng(2)
    sigmas = [0.02] * 18 + [0.15] * 3
    alarms, _ = _family_false_alarms(sigmas, 300, rng)
    assert alarms <= 9, f"{alarms} of 300 A/A comparisons called something (family α 1%: about 3)"
    _, share = _family_false_alarms(sigmas, 40, rng, slowdown=1.1)
    assert share >= 18 / 21 * 0.9, f"{share:.0%} of configurations saw ×1.1"


def test_a_drift_shared_by_each_pass_is_removed_from_the_variance_and_kept_in_the_comparison():
    logs = {"a": [0.0, 0.1, 0.2], "b": [1.0, 1.1, 1.2], "c": [2.0, 2.1, 2.2]}  # pass k adds 0.1·k to all
    squares, effects = timing_noise.within_squares(logs, {k: [0, 1, 2] for k in logs})
    assert all(ss == pytest.approx(0, abs=1e-20) for ss, _ in squares.values())
    assert [d for _, d in squares.values()] == pytest.approx([4 / 3] * 3)  # 9 - 3 - 2 residual dof, shared out
    assert list(effects) == [0, 1, 2] and list(effects.values()) == pytest.approx([0, 0.1, 0.2])
    # The same pass effects in both runs (the suite's own pass against fresh processes) cancel; a drift does not.
    assert timing_noise.pass_drift_variance(effects, effects) == pytest.approx((0, 2))
    assert timing_noise.pass_drift_variance(effects, {0: 0.0, 1: 0.1, 2: 0.5}) == pytest.approx((0.03 / 3, 2))
    assert timing_noise.pass_drift_variance(effects, {}) == pytest.approx((0.01 / 3, 2)), "one run alone: its own"
    assert timing_noise.pass_drift_variance({}, {}) == (0, math.inf)
    # The drift's 2 dof and the spread's 40 make the comparison's dof by Welch-Satterthwaite.
    noise = timing_noise.process_noise(timing_noise.Spread(0.02, 40, "x"), 5, 5, passes=(0.0002, 2))
    own = 0.02**2 * 2 / 5
    assert noise.se == pytest.approx(math.sqrt(own + 0.0002))
    assert noise.dof == pytest.approx((own + 0.0002) ** 2 / (own**2 / 40 + 0.0002**2 / 2))
    alone, _ = timing_noise.within_squares(logs)
    assert alone["a"] == pytest.approx((0.02, 2.0)), "without passes: around the configuration's mean"
    rng = np.random.default_rng(3)
    alarms, _ = _family_false_alarms([0.02] * 21, 200, rng, drift=0.03)
    assert alarms <= 6, f"{alarms} of 200 A/A comparisons with a drift between passes called something"
    _, share = _family_false_alarms([0.02] * 21, 30, rng, slowdown=1.1, drift=0.01)
    assert share >= 0.9


def test_a_nightly_pair_with_passes_sees_10_percent_and_an_a_a_is_quiet(tmp_path, capsys):
    base = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.02, seed=12, processes=5, pass_drift=0.02)
    same = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.02, seed=13, processes=5, pass_drift=0.02)
    code, rows, _ = compare(tmp_path, base, same, capsys)
    assert [r for r in rows if r[5] == "**worse**"] == [] and code == 0
    slow = scaled_run.scaled(EXAMPLE_DATA, 1.1, jitter=0.02, seed=13, processes=5, pass_drift=0.02)
    code, rows, _ = compare(tmp_path, base, slow, capsys)
    worse = [r for r in step_rows(rows) if r[5] == "**worse**"]
    assert len(worse) >= 0.9 * TIMED and code == 1, f"{len(worse)} of {TIMED}"
    assert "passes' drift" in worse[0][7]


def test_a_run_with_process_medians_shows_their_geometric_mean_and_the_throughput_at_it(tmp_path):
    from bench_lib.record import history

    data = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.05, seed=16, processes=4)
    bench = scaled_run.timed(data)[0]
    path = tmp_path / "0001_x.json"
    path.write_text(json.dumps(data))
    run = history.load_run(path)
    key = next(k for k, b in run.by_key().items() if b.result.get("process_medians"))
    result = run.by_key()[key].result
    time, throughput = (next(m for m in verdict.compared() if m.compare == rule) for rule in ("time", "throughput"))
    center = math.exp(np.mean(np.log(result["process_medians"])))
    assert verdict.metric_value(time, run.by_key()[key]) == pytest.approx(center)
    expected = result["examples_per_sec"] * result["step_time_ms"]["mean"] / center
    assert verdict.metric_value(throughput, run.by_key()[key]) == pytest.approx(expected)
    assert bench["extra_info"]["process_medians"], "the example's rows all carry them here"
