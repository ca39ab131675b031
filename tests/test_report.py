from bench_lib import questions
from bench_lib.render.tables import epoch_line, markdown_table, spec_line, summary_line, warning_lines

RESULT = {
    "id": "mirrored2-bs256-acc2-mlp-adam", "status": "ok", "error": None, "test_accuracy": 0.91234,
    "examples_per_sec": 12345.6, "step_time_ms": {"median": 4.5, "p90": 6.25}, "micro_batch_size": 64,
    "accumulation_steps": 2, "replicas": 2, "peak_rss_mib": 700.2, "tf_peak_mib": 3.25, "optimizer_steps": 15,
    "wall_s": 2.25,
}  # fmt: skip


def test_summary_line_shows_the_headline_figures():
    line = summary_line(RESULT)
    assert line.startswith("mirrored2-bs256-acc2-mlp-adam: ok")
    for text in (
        "test_acc 0.9123",
        "12,346 ex/s",
        "step 4.50 ms (p90 6.25)",
        "micro-batch 64 x 2 acc x 2 rep",
        "TF peak 3.2 MiB",
    ):
        assert text in line
    assert "\n" not in line


def test_a_failed_result_shows_its_error():
    assert summary_line({"id": "x", "status": "oom", "error": "OOM when allocating"}) == "x: oom: OOM when allocating"


def test_epoch_line():
    record = {"epoch": 2, "train_loss": 0.5, "train_accuracy": 0.75, "test_accuracy": 0.8, "examples_per_sec": None}
    assert epoch_line(record, 5) == "epoch 2/5  loss 0.5000  acc 0.7500  test_acc 0.8000  - ex/s"


def test_table_has_a_row_per_result_and_dashes_for_missing_figures():
    table = markdown_table([RESULT, {"id": "y", "status": "failed"}]).splitlines()
    assert len(table) == 4
    assert table[3] == "| y | failed | - | - | - | - | - | - | - | - | - | - |"


def test_spec_line_shows_how_the_global_batch_splits():
    spec = {"id": "m", "dataset": "digits", "global_batch_size": 256, "replicas": 2, "accumulation_steps": 2}
    assert spec_line(spec | {"micro_batch_size": 64}) == (
        "m: digits, global batch 256 = 2 replicas x 2 accumulation x micro-batch 64"
    )


def test_table_adds_a_questions_own_columns():
    row = {"id": "n", "status": "ok", "noise_scale": 812.4, "critical_batch_size_estimate": 812.4}
    table = markdown_table([row], "noise_scale").splitlines()
    assert table[0].endswith("| noise scale B_simple, examples | critical batch size estimate, examples |")
    assert table[2].endswith("| 812 | 812 |")


def test_summary_line_shows_noise_scale_and_loss_scaling():
    detail = {"measurements": 12, "small_batch_size": 16, "big_batch_size": 512}
    line = summary_line(RESULT | {"noise_scale": 95.2, "noise_scale_detail": detail})
    assert line.endswith("  noise scale B_simple 95 (from 12 measurements at batches 16,512)")
    line = summary_line(RESULT | {"noise_scale": None, "noise_scale_detail": detail})
    assert "noise scale B_simple - (from 12" in line
    line = summary_line(RESULT | {"loss_scale_final": 32768.0, "loss_scale_skipped_steps": 2})
    assert line.endswith("  loss scale 32768, 2 steps skipped")


def test_spec_line_shows_the_cluster_shape():
    spec = {"id": "m", "dataset": "digits", "global_batch_size": 256, "replicas": 4, "accumulation_steps": 1}
    assert spec_line(spec | {"micro_batch_size": 64, "workers": 2}) == (
        "m: digits, global batch 256 = 4 replicas (2 workers x 2) x 1 accumulation x micro-batch 64"
    )


def test_performance_figures_and_input_bound_are_shown():
    result = RESULT | {"achieved_gflops": 63.14, "mfu": 0.4712, "peak_gflops": 134.2, "step_time_cv": 0.043}
    # A run saved before the peak's precision was recorded has a float32 peak.
    assert summary_line(result).endswith("63.1 GFLOP/s = MFU 0.47 of 134 GFLOP/s float32  CV 4%")
    bfloat16 = summary_line(result | {"peak_precision": "bfloat16"})
    assert bfloat16.endswith("of 134 GFLOP/s bfloat16  CV 4%")
    assert summary_line(result | {"input_bound": True}).endswith("CV 4%  input-bound")
    row = markdown_table([result | {"input_bound": True}]).splitlines()[2]
    assert row.endswith("| 63.1 | 0.47 | 4% | yes |")


def test_warnings_are_one_line_each_and_name_the_configuration():
    assert warning_lines(RESULT | {"warnings": ["too few rounds: 3"]}) == [
        "WARNING: mirrored2-bs256-acc2-mlp-adam: too few rounds: 3"
    ]
    assert warning_lines(RESULT) == []


def test_harness_table_shows_both_ratios_with_their_spread_and_a_run_saved_before_the_spread():
    before = {"id": "h", "examples_per_sec": 100.0, "suite_over_handwritten": 0.98765, "suite_over_fit": 1.634}
    spread = {"median": 0.98765, "q1": 0.95, "q3": 1.01, "min": 0.9, "max": 1.2, "n": 6}
    now = {**before, "suite_over_handwritten_spread": spread, "suite_over_fit_spread": {**spread, "q1": 1.5}}
    columns = questions.question("harness").table.columns
    table = markdown_table([before, now], columns=columns).splitlines()
    # Runs saved before the minimal loop existed show '-' in its three columns.
    assert table[2] == "| h | 100 | - | - | 0.988 | - | 1.63 | - | - | - | - | - |"
    assert (
        table[3]
        == "| h | 100 | - | - | 0.988 | 0.95–1.01 (0.9–1.2), 6 | 1.63 | 1.5–1.01 (0.9–1.2), 6 | - | - | - | - |"
    )
    minimal = {
        **now,
        "minimal_examples_per_sec": 102.0,
        "suite_over_minimal": 0.98,
        "suite_over_minimal_spread": spread,
    }
    row = markdown_table([minimal], columns=columns).splitlines()[2]
    assert row.endswith("| 102 | 0.980 | 0.95–1.01 (0.9–1.2), 6 | - |")


def test_saved_reports_get_the_harness_table_only_when_a_result_has_the_ratios():
    from bench_lib.render.tables import question_tables

    result = {"id": "h", "status": "ok", "spec": {"strategy": "one_device"}, "examples_per_sec": 100.0}
    assert len(question_tables([result], "harness")) == 1
    ratios = {**result, "suite_over_handwritten": 0.9, "suite_over_fit": 1.6}
    *_, harness = question_tables([result, ratios], "harness")
    assert harness.title.startswith("harness overhead") and len(harness.rows) == 1
    assert harness.rows[0][4:7] == ("0.900", "-", "1.60")


def test_several_seeds_show_mean_std_and_n_and_workers_show_in_the_strategy():
    from bench_lib.render.tables import seeded, strategy_label, strategy_tables

    result = {
        "id": "mirrored2-bs64-acc1-mlp-adam", "status": "ok", "spec": {"strategy": "multi_worker"}, "replicas": 4,
        "workers": 2, "replicas_per_worker": 2, "test_accuracy": 0.9, "examples_per_sec": 1000.0,
        "seed_stats": {"test_accuracy": {"n": 3, "std": 0.0123, "mean": 0.9}},
    }  # fmt: skip
    assert seeded(result, "test_accuracy", ".4f") == "0.9000 ± 0.0123 (n=3)"
    assert seeded(result, "examples_per_sec", ",.0f") == "1,000"
    assert strategy_label(result) == "multi_worker, 2 workers x 2 replicas"
    one_seed = {**result, "seed_stats": {"test_accuracy": {"n": 1, "std": None}}, "workers": 1}
    assert seeded(one_seed, "test_accuracy", ".4f") == "0.9000"
    (table,) = strategy_tables([{**one_seed, "status": "oom", "error": "OOM when allocating"}])
    assert table.title == "multi_worker, 4 replicas"
    assert table.rows[0][-1] == "oom: OOM when allocating"
    assert "sharpness" not in table.header
    (table,) = strategy_tables([one_seed, {**one_seed, "sharpness": 12.5}])
    assert table.header[-2:] == ("sharpness, %", "status") and [row[-2] for row in table.rows] == ["-", "12.5"]


def test_the_models_hardware_table_shows_the_largest_batch_where_it_was_searched_and_a_dash_elsewhere():
    from bench_lib.render.tables import question_tables

    measured = {"status": "ok", "spec": {"strategy": "one_device"}, "examples_per_sec": 412.5, "mfu": 0.31,
                "step_time_ms": {"median": 310.25}, "tf_peak_mib": 1536.0, "time_to_first_step_s": 12.5}  # fmt: skip
    searched = {**measured, "id": "one_device-bs64-acc1-resnet50-adam", "largest_batch_size": 128,
                "largest_batch_limit_mib": 4096}  # fmt: skip
    *_, hardware = question_tables([{**measured, "id": "one_device-bs32-acc1-resnet50-adam"}, searched], "models")
    assert hardware.title.startswith("hardware table")
    assert hardware.header[-2:] == ("largest batch within the limit", "its limit, MiB")
    # A run saved before peak_precision and without mixed_float16 shows '-' for them.
    assert hardware.rows[0] == ("one_device-bs32-acc1-resnet50-adam", "412", "310.250", "0.31", "-", "1,536.0",
                                "12.50", "-", "-", "-")  # fmt: skip
    assert hardware.rows[1][-2:] == ("128", "4,096")
