from bench_lib import questions
from bench_lib.analysis import findings as findings_lib
from bench_lib.analysis.vocabulary import budget, figure, steps_to_target_series
from bench_lib.maths import stats


def findings(results):
    """The findings with every registered question's own rule, as the report writes them."""
    results = list(results)
    family = questions.judged_family(results)
    return findings_lib.findings(
        results, rules=questions.findings_rules(), family=family, cross=questions.cross_findings
    )


def result(question, batch, accuracy, values=None, n=None, status="ok", **spec):
    """A result; `values` are its seeds' test accuracies (mean, interval and n from them), else one seed."""
    n = n or (len(values) if values else 1)
    spec = {"strategy": "one_device", "replicas": 1, "optimizer": "adam", "epochs": 5, "global_batch_size": batch,
            "lr_scaling": "none", "warmup_epochs": 0.0, "seed": 0, "seeds": n, **spec}  # fmt: skip
    out = {"question": question, "status": status, "spec": spec, "test_accuracy": accuracy}
    if values is not None:
        out["seed_stats"] = {"test_accuracy": stats.summary(values)}
        out["test_accuracy"] = out["seed_stats"]["test_accuracy"]["mean"]
    return out


def test_a_clear_difference_is_real_by_welchs_test():
    separate = [result("batch_size", 32, None, [0.90, 0.91, 0.92]), result("batch_size", 512, None, [0.40, 0.46, 0.52])]
    [real, rule] = findings(separate)
    assert real.startswith("batch_size (at 5 epochs, adam): test accuracy falls from 0.910 [0.885, 0.935] (n=3)")
    assert "at batch 32 to 0.460 [0.311, 0.609] (n=3) at batch 512 (real: Δ -0.450 [" in real
    assert rule.startswith("verdicts: Welch's t-test") and "Holm-corrected over the 1 comparison of" in rule


def test_equal_means_stay_level_and_name_both_ends():
    level = [result("accumulation", 1, 0.858), result("accumulation", 8, 0.858)]
    [sentence, *_] = findings(level)
    assert "test accuracy stays level, 0.858 (n=1) at batch 1 and 0.858 (n=1) at batch 8 (" in sentence
    assert "stays from" not in sentence


def test_wide_intervals_are_undecided_and_say_what_they_could_have_seen():
    wide = [result("accumulation", 1, None, [0.60, 0.73, 0.86]), result("accumulation", 8, None, [0.60, 0.726, 0.85])]
    [sentence, _] = findings(wide)
    assert "(undecided: Δ -0.005 [" in sentence and "neither a difference nor sameness within ±0.010 shown" in sentence
    assert "3 and 3 seeds could detect ±0." in sentence
    assert "does not" not in sentence and "within noise" not in sentence


def test_same_needs_an_equivalence_test_inside_the_margin():
    close = [result("batch_size", 32, None, [0.9070, 0.9072, 0.9068, 0.9071]),
             result("batch_size", 512, None, [0.9075, 0.9073, 0.9077, 0.9074])]  # fmt: skip
    [sentence, _] = findings(close)
    assert "(same: Δ +0.000 [" in sentence and "inside the margin ±0.010, TOST p=" in sentence


def test_one_seed_is_never_called_real():
    [sentence] = findings([result("batch_size", 32, 0.91), result("batch_size", 512, 0.46)])
    assert "0.910 (n=1)" in sentence and "(undecided: one seed gives no test)" in sentence


def test_holm_corrects_the_findings_together():
    # Each comparison alone has p ≈ 0.03; over a family of four Holm needs p < 0.0125 for the first.
    rows = []
    for i, model in enumerate("abcd"):
        small = [0.905 + i / 1000, 0.920 + i / 1000, 0.935 + i / 1000]
        rows += [result("batch_size", 32, None, small, model=model),
                 result("batch_size", 512, None, [v - 0.04 for v in small], model=model)]  # fmt: skip
    [sentence, rule] = findings(rows)
    assert "(real" not in sentence and sentence.count("(undecided: ") == 4
    assert "over the 4 comparisons" in rule
    [alone, _] = findings(rows[:2])
    assert "(real: Δ -0.040 [" in alone


def test_contexts_get_a_clause_each_in_one_sentence():
    rows = [result("batch_size", b, a, strategy=s, replicas=r) for b, a in ((32, 0.9), (512, 0.5))
            for s, r in (("one_device", 1), ("mirrored", 2))]  # fmt: skip
    [sentence] = findings(rows)
    assert "one_device: test accuracy falls" in sentence and "mirrored2: test accuracy falls" in sentence


def test_lr_scaling_says_how_much_of_the_drop_scaling_recovers():
    rows = [
        result("lr_scaling", 32, None, [0.89, 0.90, 0.91]),
        result("lr_scaling", 512, None, [0.45, 0.50, 0.55]),
        result("lr_scaling", 512, None, [0.79, 0.80, 0.81], lr_scaling="linear", warmup_epochs=1.0),
        result("lr_scaling", 512, None, [0.40, 0.52, 0.64], lr_scaling="sqrt", warmup_epochs=1.0),
    ]
    rows[0]["generalization_gap_accuracy"], rows[1]["generalization_gap_accuracy"] = 0.05, 0.01
    sentences = findings(rows)
    assert len(sentences) == 3 and sentences[2].startswith("verdicts:")
    assert "linear scaling, warm-up 1 epoch gives 0.800" in sentences[0]
    assert ", Welch p=" in sentences[0] and "against fixed), recovering 75% of the drop" in sentences[0]
    assert "sqrt scaling, warm-up 1 epoch gives 0.520" in sentences[0] and "recovering 5% of the drop" in sentences[0]
    assert sentences[1].startswith("generalization (at 5 epochs, adam, fixed learning rate): train − test accuracy")


def test_time_to_accuracy_compares_with_perfect_scaling_and_names_batches_that_missed():
    rows = []
    for batch, steps in ((16, 128), (64, 32), (256, 16), (1024, None)):
        rows.append(steps_run(batch, steps))
    sentence = findings(rows)[0]
    assert "steps to the target fall from 128 (n=1) at batch 16 to 16 (n=1) at batch 256" in sentence
    assert "a 16.0× larger batch needs 8.0× fewer steps, where perfect scaling would give 16.0× fewer" in sentence
    assert "step by step batch 16→64: steps ÷4.0 (perfect ÷4.0), batch 64→256: steps ÷2.0 (perfect ÷4.0)" in sentence
    assert "not reached at batch 1024 within the budget" in sentence
    series = steps_to_target_series(rows)
    assert [(b, f.mean if f else None) for b, f in series[""]] == [(16, 128), (64, 32), (256, 16), (1024, None)]


def test_steps_that_rise_with_the_batch_are_said_to_rise():
    sentence = findings([steps_run(16, 40), steps_run(256, 60)])[0]
    assert "steps to the target rise from 40 (n=1) at batch 16 to 60 (n=1) at batch 256" in sentence
    assert "a 16.0× larger batch needs 1.5× more steps, where perfect scaling would give 16.0× fewer" in sentence
    assert "fall" not in sentence.split(":")[1]


def steps_run(batch, steps, **spec):
    """A time_to_accuracy result; steps: one figure, or the seeds' steps to the target."""
    row = result("time_to_accuracy", batch, 0.9, target_accuracy=0.85, **spec)
    if isinstance(steps, list):
        row["seed_stats"] = {"steps_to_target": stats.summary(steps)}
        row["steps_to_target"] = row["seed_stats"]["steps_to_target"]["mean"]
    else:
        row["steps_to_target"] = steps
    return row


def test_a_tenfold_fall_in_steps_from_three_seeds_is_real_on_the_log_scale():
    # The intervals on the raw scale overlap (91 [8, 173] and 9 [4, 14]); the ratio's does not include 1.
    rows = [steps_run(16, [60, 90, 123]), steps_run(1024, [7, 9, 11])]
    sentence = findings(rows)[0]
    assert (
        "steps to the target fall from 87 [36, 213] (geometric mean, n=3) at batch 16 to "
        "9 [5, 16] (geometric mean, n=3) at batch 1024 (real: ×0.1 [0.049, 0.21]" in (sentence)
    )


def test_steps_within_twenty_percent_are_same_and_a_modest_change_undecided():
    same = [steps_run(16, [100, 101, 99, 100, 102, 98]), steps_run(32, [101, 100, 102, 99, 100, 101])]
    assert "(same: ×1 [" in findings(same)[0] and "inside the margin ±20%" in findings(same)[0]
    unsure = [steps_run(16, [60, 100, 140]), steps_run(32, [50, 80, 120])]
    assert "(undecided: ×0.83 [" in findings(unsure)[0] and "could detect a factor of" in findings(unsure)[0]


def test_the_critical_batch_is_fitted_with_an_interval_beside_b_simple():
    # S(B) = 40 (1 + 100 / B) with ±5% seed noise: B_crit = E_min / S_min = 100.
    rows = [steps_run(b, [40 * (1 + 100 / b) * f for f in (0.95, 1.0, 1.05)]) for b in (16, 64, 256, 1024)]
    probe = result("noise_scale", 128, 0.8, model="mlp")
    probe["noise_scale"] = 89.4
    sentences = findings([*rows, probe])
    assert (
        "noise_scale: the simple noise scale B_simple (the critical batch size it predicts) is 89 (n=1)"
        in (sentences[1])
    )
    critical = sentences[2]
    assert critical.startswith("critical batch (McCandlish et al.: (S/S_min − 1)(E/E_min − 1) = 1 fitted")
    assert "B_crit 100 [" in critical and "(95% bootstrap interval over seeds), S_min 40 steps" in critical
    assert critical.endswith("B_simple from the noise-scale probe: 89 (n=1) for mlp at batch 128.")
    two = findings(rows[:2])
    assert "no fit (fewer than three batch sizes reached the target)" in two[1]


def test_failed_results_do_not_count_and_a_question_with_none_says_so():
    rows = [result("accumulation", 256, None, status="oom", accumulation_steps=1)]
    assert findings(rows) == ["accumulation: no configuration finished ok."]


def test_saved_benchmarks_are_grouped_by_their_pytest_group():
    rows = [result(None, 64, 0.8, n=1), result(None, 256, 0.7, n=1)]
    for row in rows:
        row.pop("question")
        row["group"] = "test_batch_size"
    assert findings(rows)[0].startswith("batch_size (at 5 epochs, adam)")


def test_harness_states_every_ratio_with_its_spread_and_no_target():
    spread = {"median": 1.02, "q1": 0.99, "q3": 1.04, "min": 0.9, "max": 1.1, "n": 10}
    now = {**result("harness", 64, 0.1), "suite_over_handwritten": 1.02, "suite_over_handwritten_spread": spread}
    now |= {"suite_over_fit": 1.2, "suite_over_fit_spread": {**spread, "q1": 1.1, "q3": 1.3}}
    now |= {"suite_over_minimal": 0.98, "suite_over_minimal_spread": {**spread, "q1": 0.97, "q3": 0.99}}
    before = {**result("harness", 512, 0.1), "suite_over_handwritten": 0.79, "suite_over_fit": 1.6}
    (sentence,) = findings([before, now])
    assert sentence == (
        "harness (the suite's examples/s over the alternatives', median of interleaved rounds; above 1 the suite "
        "is faster): batch 64, adam: 1.02× (IQR 0.99–1.04 over 10 rounds) the hand-written loop's, "
        "1.20× (IQR 1.10–1.30 over 10 rounds) fit's, "
        "0.98× (IQR 0.97–0.99 over 10 rounds) the minimal loop's; "
        "batch 512, adam: 0.79× (one sequential measurement) the hand-written loop's, "
        "1.60× (one sequential measurement) fit's."
    )
    assert "meets" not in sentence and "misses" not in sentence and "≥" not in sentence


def test_figure_reads_the_seeds_values():
    assert figure({"test_accuracy": 0.5}, "test_accuracy").ci95 is None
    assert figure({}, "test_accuracy") is None
    a = figure({"seed_stats": {"x": {"values": [0.9, None, 1.1], "mean": 1.0, "ci95": [0.9, 1.1], "n": 2}}}, "x")
    assert a.values == (0.9, 1.1) and a.n == 2


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

values = st.one_of(st.none(), st.floats(0, 1), st.integers(1, 4096), st.sampled_from(["none", "linear", "mlp"]))
results = st.lists(
    st.fixed_dictionaries(
        {
            "question": st.sampled_from(
                ["batch_size", "lr_scaling", "time_to_accuracy", "noise_scale", "throughput", "harness", "x"]
            ),
            "status": st.sampled_from(["ok", "ok", "failed"]),
            "test_accuracy": st.one_of(st.none(), st.floats(0, 1)),
            "steps_to_target": st.one_of(st.none(), st.integers(1, 1000)),
            "noise_scale": st.one_of(st.none(), st.floats(0.1, 1e4)),
            "suite_over_handwritten": st.one_of(st.none(), st.floats(0.1, 10)),
            "suite_over_fit": st.one_of(st.none(), st.floats(0.1, 10)),
            "spec": st.fixed_dictionaries(
                {"global_batch_size": st.integers(1, 4096), "lr_scaling": st.sampled_from(["none", "linear"])},
                optional={"target_accuracy": st.floats(0.1, 1), "model": values, "learning_rate": values},
            ),
        }
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(results)
def test_findings_never_fail_and_speak_once_per_question(rows):
    sentences = findings(rows)
    questions = {r["question"] for r in rows}
    assert all(isinstance(s, str) and s for s in sentences)
    assert len(questions) <= len(sentences) <= 2 * len(questions) + 2  # + the critical batch, the rule


def test_a_context_names_only_the_fields_that_differ_from_the_usual_configuration():
    def speed(batch, rate, **spec):
        base = {"model": "mlp", "hidden_units": [128], "jit_compile": False, "steps": 15}
        return {**result("throughput", batch, None, n=1, **{**base, **spec}), "examples_per_sec": rate}

    rows = [speed(64, 9000.0), speed(1024, 68000.0), speed(256, 30000.0, jit_compile=True)]
    rows += [speed(512, 17900.0, hidden_units=[512, 512]), speed(2048, 26300.0, hidden_units=[512, 512])]
    [sentence] = findings(rows)
    assert sentence.startswith("throughput (at 15 steps, adam): examples/s rises from 9,000 (n=1) at batch 64")
    assert "; hidden_units=[512, 512]: examples/s rises from 17,900" in sentence
    assert "jit_compile" not in sentence and "steps=15" not in sentence


def test_models_lists_every_family_by_mfu_and_compares_batch_sizes_within_one():
    def measured(model, batch, per_sec, mfu):
        return {**result("models", batch, None, model=model, optimizer="momentum"), "examples_per_sec": per_sec,
                "mfu": mfu}  # fmt: skip

    one_each = [measured("resnet20", 64, 178.0, 0.58), measured("resnet50", 4, 2.0, 0.62)]
    [sentence] = findings(one_each)
    assert sentence == (
        "models (steady steps, synthetic data), by MFU: resnet50 at batch 4 on one_device: 2.0 examples/s, MFU 0.62; "
        "resnet20 at batch 64 on one_device: 178.0 examples/s, MFU 0.58."
    )
    table, pairs = findings([*one_each, measured("resnet20", 512, 260.0, 0.61)])
    assert table.count("resnet20 at batch") == 2
    assert pairs.startswith("models (") and "resnet20: examples/s rises from 178 (n=1) at batch 64 to 260" in pairs


def test_one_seeds_throughput_is_judged_over_its_timed_rounds():
    def speed(batch, rate, rounds_s):
        return {**result("throughput", batch, None, dataset="synthetic"), "examples_per_sec": rate,
                "rounds_s": rounds_s}  # fmt: skip

    faster = [speed(64, 9000.0, [0.10, 0.11, 0.09, 0.10]), speed(1024, 68000.0, [0.21, 0.2, 0.22, 0.2])]
    sentence = findings(faster)[0]
    assert "examples/s rises from 9,000 [" in sentence and "(n=4 rounds) at batch 64" in sentence
    assert "(real: ×7." in sentence
    flat = [speed(64, 9000.0, [0.10, 0.13, 0.07, 0.10]), speed(1024, 9100.0, [0.10, 0.07, 0.13, 0.10])]
    assert "4 and 4 rounds could detect a factor of" in findings(flat)[0]
    assert "(n=1)" in findings([speed(64, 9000.0, []), speed(1024, 68000.0, [])])[0]


def test_the_example_runs_findings_render_with_tests_and_no_unearned_no_change():
    from pathlib import Path

    from bench_lib.record import history

    run = history.load_run(Path(__file__).parent.parent / "reports" / "example" / "0001_example.json")
    sentences = findings(run.judged_results())
    [steps] = [s for s in sentences if s.startswith("time_to_accuracy")]
    assert "at batch 1024 (real: ×0.1" in steps, "the tenfold fall in steps is a real fall"
    assert not any("does not" in s or "within noise" in s for s in sentences)
    assert sentences[-1].startswith("verdicts: Welch's t-test")
    assert any(s.startswith("critical batch (McCandlish et al.") and "B_crit " in s for s in sentences)


def test_a_findings_budget_names_what_replaced_the_epochs():
    assert budget({"epochs": 5, "optimizer": "adam"}) == "at 5 epochs, adam"
    assert budget({"epochs": 5, "steps": 200, "optimizer": "sgd"}) == "at 200 steps, sgd"
    # timed blocks replace steps and epochs: a throughput configuration is not trained for 5 epochs
    assert budget({"epochs": 5, "timed_blocks": 8, "optimizer": "adam"}) == "at 8 timed blocks, adam"
    assert budget({"epochs": 5, "timed_blocks": 1, "optimizer": "adam"}) == "at 1 timed block, adam"
