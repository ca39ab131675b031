import pytest

from bench_lib import questions
from bench_lib.analysis import convergence_points
from bench_lib.analysis.findings import findings as all_findings
from bench_lib.maths.stats import summary


def converged(batch, accuracy, gap, sharp, steps=100, n=3):
    spec = {"strategy": "one_device", "replicas": 1, "optimizer": "adam", "global_batch_size": batch,
            "target_accuracy": 0.95, "target_on": "train", "epochs": 150, "seeds": n}  # fmt: skip
    stats = {key: summary([value * 0.99, value, value * 1.01][:n])
             for key, value in (("test_accuracy", accuracy), ("generalization_gap_accuracy", gap),
                                ("sharpness", sharp))}  # fmt: skip
    return {
        "question": "batch_size_equal_convergence",
        "status": "ok",
        "spec": spec,
        "steps_to_target": steps,
        "test_accuracy": accuracy,
        "generalization_gap_accuracy": gap,
        "sharpness": sharp,
        "seed_stats": stats,
    }


def test_equal_convergence_compares_test_accuracy_gap_and_sharpness_at_the_training_target():
    rows = [converged(32, 0.95, 0.02, 1.0), converged(512, 0.90, 0.07, 3.0), converged(1024, 0.5, 0.1, 5, None)]
    [sentence, _] = findings(rows)
    assert sentence.startswith("batch_size_equal_convergence (each trained to training accuracy 0.95): ")
    assert "test accuracy falls from 0.950" in sentence and "at batch 512 (real:" in sentence
    assert "train − test accuracy rises" in sentence and "sharpness rises from 1 " in sentence
    assert sentence.endswith("not reached within the budget at batch 1024.")


def run(steps, question="time_to_accuracy", **spec):
    spec = {"dataset": "digits", "target_accuracy": 0.85, "target_on": "test", **spec}
    stats = {"steps_to_target": {"values": steps, "mean": sum(steps) / len(steps), "n": len(steps)}}
    return {"question": question, "id": "one_device-bs128-acc1-mlp-adam", "status": "ok", "spec": spec,
            "seed_stats": stats, "seeds": list(range(len(steps)))}  # fmt: skip


def test_a_run_that_takes_significantly_more_steps_than_its_reference_point_is_flagged_slower():
    [point] = [convergence_points.point(run([40, 42, 44, 41, 43]), {"tensorflow": "2.21.0", "keras": "3.15.1"})]
    assert point["mean"] == 42 and point["n"] == 5 and point["tensorflow"] == "2.21.0"
    [slower] = convergence_points.check([run([52, 55, 50])], [point])
    assert slower.verdict == "slower" and slower.p_slower < 0.05
    [same] = convergence_points.check([run([41, 44, 42])], [point])
    assert same.verdict == "as the reference"
    [faster] = convergence_points.check([run([30, 31, 29])], [point])
    assert faster.verdict == "faster"
    assert convergence_points.check([run([52, 55, 50], dataset="mnist_5k")], [point]) == [], "another workload's point"
    assert "slower (one-sided p=" in convergence_points.sentences([slower, same])[0]
    assert slower.line().startswith(
        "time_to_accuracy one_device-bs128-acc1-mlp-adam: the number of steps to the target is 52 (n=3) "
        "against the reference's 42 (n=5): slower"
    ), "the words and format of steps_to_target's registry entry"


def test_the_one_sided_p_values_are_scipys_pooled_t_test_halved():
    scipy_stats = pytest.importorskip("scipy.stats")
    a, b = [52.0, 55.0, 50.0], [40.0, 42.0, 44.0, 41.0, 43.0]
    p_two = scipy_stats.ttest_ind(a, b, equal_var=True).pvalue
    slower, faster = convergence_points.one_sided_p(a, b)
    assert slower == pytest.approx(p_two / 2, rel=1e-6) and faster == pytest.approx(1 - p_two / 2, rel=1e-6)


def findings(results):
    return all_findings(results, rules=questions.findings_rules(), family=questions.judged_family(results))


def test_the_stored_points_read_and_hold_what_the_check_matches_on():
    from bench_lib import reference as stored

    points = stored.points()
    assert points, "bench_lib/reference/convergence.json ships with the package"
    for point in points:
        assert all(key in point for key in convergence_points.KEY_FIELDS)
        assert point["n"] == len(point["steps_to_target"]) >= 2 and point["tensorflow"]
