import math

import pytest

from bench_lib import questions
from bench_lib.analysis import tuning
from bench_lib.analysis.findings import findings as all_findings
from bench_lib.analysis.vocabulary import Figure
from bench_lib.maths import stats


def trial(rate, status="ok", steps=None, accuracy=0.5):
    return {"status": status, "steps_to_target": steps, "test_accuracy": accuracy, "spec": {"learning_rate": rate}}


def test_log_grid_spans_the_decades_around_the_centre():
    assert tuning.log_grid(1e-3, 3, 1.0) == (0.000316, 0.001, 0.00316)
    assert tuning.log_grid(0.01, 5, 2.0) == (0.001, 0.00316, 0.01, 0.0316, 0.1)
    assert tuning.log_grid(0.5, 1, 2.0) == (0.5,)
    with pytest.raises(ValueError, match="points=0"):
        tuning.log_grid(1e-3, 0, 1.0)


def test_the_best_rate_reaches_the_target_first_then_has_the_best_validation_accuracy():
    trials = [trial(1e-4, accuracy=0.8), trial(1e-3, steps=40), trial(1e-2, steps=25), trial(1e-1, "diverged")]
    assert tuning.best_rate(trials) == 1e-2
    assert tuning.best_rate([trial(1e-4, accuracy=0.7), trial(1e-3, accuracy=0.8)]) == 1e-3
    assert tuning.best_rate([trial(1.0, "diverged")]) is None


def test_each_step_along_the_batch_axis_gets_one_of_shallues_three_regimes():
    series = [(16, Figure(800, None, 1)), (32, Figure(410, None, 1)), (64, Figure(300, None, 1)),
              (128, Figure(290, None, 1)), (256, None)]  # fmt: skip
    assert tuning.regimes(series) == [
        (16, 32, "perfect scaling"),
        (32, 64, "diminishing returns"),
        (64, 128, "maximal data parallelism"),
    ]


def result(batch, steps, rate, optimizer="adam", ci=None):
    spec = {"strategy": "one_device", "replicas": 1, "optimizer": optimizer, "global_batch_size": batch,
            "learning_rate": rate, "target_accuracy": 0.85, "epochs": 40, "seeds": 3}  # fmt: skip
    out = {"question": "lr_tuning", "status": "ok", "spec": spec, "steps_to_target": steps}
    if ci:
        out["seed_stats"] = {"steps_to_target": stats.summary([steps * 0.98, steps, steps * 1.02])}
    return out


def test_findings_read_steps_at_each_batchs_tuned_rate_with_regimes_and_the_critical_batch_beside_b_simple():
    rows = [result(16, 800, 1e-3, ci=True), result(64, 210, 3e-3, ci=True), result(256, 200, 1e-2, ci=True)]
    noise = {"question": "noise_scale", "status": "ok", "spec": {"model": "mlp", "global_batch_size": 128},
             "noise_scale": 90.0}  # fmt: skip
    sentences = findings([*rows, noise])
    [tuned] = [s for s in sentences if s.startswith("lr_tuning")]
    assert "adam: batch 16: 800 steps (95% CI 760–840, n=3) at lr 0.001" in tuned
    assert "16→64 perfect scaling; 64→256 maximal data parallelism" in tuned
    [beside] = [s for s in sentences if s.startswith("critical batch")]
    assert "tuned: B_crit " in beside and "B_simple from the noise-scale probe: 90 (n=1)" in beside
    assert math.isclose(tuning.PERFECT_EFFICIENCY, 0.8)


def lr_trial(rate, steps=None, status="ok", accuracy=0.5):
    return {"learning_rate": rate, "status": status, "steps_to_target": steps, "validation_accuracy": accuracy}


def test_the_grid_widens_until_the_best_rate_has_a_worse_neighbour_on_each_side():
    edge = [lr_trial(1e-4, accuracy=0.6), lr_trial(1e-3, 40), lr_trial(1e-2, 20)]
    assert tuning.unbracketed_side(edge) == "above"
    assert tuning.next_rate(edge, 10) == 0.1
    low = [lr_trial(1e-4, 10), lr_trial(1e-3, 40), lr_trial(1e-2, 80)]
    assert tuning.unbracketed_side(low) == "below" and tuning.next_rate(low, 10) == 1e-5
    bracketed = [*edge, lr_trial(1e-1, status="diverged")]
    assert tuning.unbracketed_side(bracketed) is None and tuning.next_rate(bracketed, 10) is None
    tie = [lr_trial(1e-3, 20), lr_trial(1e-2, 20), lr_trial(1e-1, 30)]
    assert tuning.unbracketed_side(tie) == "below", "an equal neighbour does not bracket the optimum"


def test_regimes_are_named_only_where_every_optimum_is_bracketed():
    rows = [result(16, 800, 1e-3), result(64, 210, 1e-2), result(256, 200, 1e-2)]
    for row in rows:
        row["lr_trials"] = [lr_trial(1e-4, 900), lr_trial(1e-3, 800), lr_trial(1e-2, 700)]
    rows[0]["lr_trials"][2]["steps_to_target"] = 900  # batch 16's best, 1e-3, is bracketed
    [sentence, *_] = findings(rows)
    assert "perfect scaling" not in sentence and "diminishing" not in sentence
    assert sentence.endswith(
        "(best rate not bracketed by worse ones at batch 64, 256 even after widening the grid: "
        "no scaling regime named)."
    )
    rows[1]["lr_trials"][2]["steps_to_target"] = rows[2]["lr_trials"][2]["steps_to_target"] = 900
    rows[1]["lr_trials"][1]["steps_to_target"] = rows[2]["lr_trials"][1]["steps_to_target"] = 700
    [bracketed, *_] = findings(rows)
    assert "perfect scaling" in bracketed and "not bracketed" not in bracketed


def findings(results):
    family = questions.judged_family(results)
    return all_findings(results, rules=questions.findings_rules(), family=family, cross=questions.cross_findings)
