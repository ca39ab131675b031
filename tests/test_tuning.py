import math

import pytest

from bench_lib import questions
from bench_lib.analysis import tuning
from bench_lib.analysis.findings import Figure
from bench_lib.analysis.findings import findings as all_findings


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
        out["seed_stats"] = {"steps_to_target": {"values": [], "mean": steps, "std": 1, "ci95": ci, "n": 3}}
    return out


def test_findings_read_steps_at_each_batchs_tuned_rate_with_regimes_and_the_knee_beside_b_simple():
    rows = [result(16, 800, 1e-3, ci=[780, 820]), result(64, 210, 3e-3, ci=[200, 220]),
            result(256, 200, 1e-2, ci=[190, 210])]  # fmt: skip
    noise = {"question": "noise_scale", "status": "ok", "spec": {"model": "mlp", "global_batch_size": 128},
             "noise_scale": 90.0}  # fmt: skip
    sentences = findings([*rows, noise])
    [tuned] = [s for s in sentences if s.startswith("lr_tuning")]
    assert "adam: batch 16: 800 steps (95% CI 780–820, n=3) at lr 0.001" in tuned
    assert "16→64 perfect scaling; 64→256 maximal data parallelism" in tuned
    assert "the knee is at batch 64" in tuned
    [beside] = [s for s in sentences if s.startswith("noise scale beside the knee")]
    assert "B_simple predicts a critical batch near 90" in beside and "tuned: batch 64" in beside
    assert math.isclose(tuning.PERFECT_EFFICIENCY, 0.8)


def test_a_rate_at_the_edge_of_the_grid_is_named():
    rows = [result(16, 800, 1e-3), result(64, 210, 1e-2)]
    for row in rows:
        row["lr_trials"] = [{"learning_rate": rate} for rate in (1e-4, 1e-3, 1e-2)]
    [sentence] = findings(rows)
    assert sentence.endswith("(best rate at the edge of the grid at batch 64: widen it).")


def findings(results):
    return all_findings(results, rules=questions.findings_rules())
