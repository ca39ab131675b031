from bench_lib import questions
from bench_lib.analysis import glance as glance_lib
from bench_lib.maths import stats
from bench_lib.render.page import report_page
from bench_lib.render.tables import glance_table, report_markdown


def glance(results, **judged):
    """The rows with every question's own rule, as a report makes them."""
    return glance_lib.glance(results, rules=questions.glance_rules(), **judged)


def result(question, batch, accuracy, values=None, n=None, **spec):
    """A result; `values` are its seeds' test accuracies (mean, interval and n from them), else one seed."""
    n = n or (len(values) if values else 1)
    spec = {"strategy": "one_device", "replicas": 1, "optimizer": "adam", "epochs": 5, "global_batch_size": batch,
            "seed": 0, "seeds": n, **spec}  # fmt: skip
    out = {"question": question, "status": "ok", "spec": spec, "test_accuracy": accuracy}
    if values is not None:
        out["seed_stats"] = {"test_accuracy": stats.summary(values)}
        out["test_accuracy"] = out["seed_stats"]["test_accuracy"]["mean"]
    return out


def test_a_clear_difference_is_real_and_the_row_says_which_way_and_by_how_much():
    [row] = glance(
        [result("batch_size", 32, None, [0.90, 0.91, 0.92]), result("batch_size", 512, None, [0.4, 0.46, 0.52])]
    )
    assert row.verdict == "real"
    assert row.answer == "Test accuracy falls from batch 32 to batch 512."
    assert row.evidence == "0.910 [0.885, 0.935] (n=3) → 0.460 [0.311, 0.609] (n=3), Δ -0.450"


def test_wide_intervals_are_undecided_close_ones_same_and_one_seed_never_more():
    wide = [result("accumulation", 32, None, [0.6, 0.73, 0.86]), result("accumulation", 512, None, [0.6, 0.72, 0.85])]
    [unsure] = glance(wide)
    assert unsure.verdict == "undecided" and "does not" not in unsure.answer
    assert unsure.answer.endswith(", undecided: 3 and 3 seeds could detect ±0.387.")
    close = [result("accumulation", 32, None, [0.907, 0.9072, 0.9068, 0.9071]),
             result("accumulation", 512, None, [0.9075, 0.9073, 0.9077, 0.9074])]  # fmt: skip
    [same] = glance(close)
    assert same.verdict == "same"
    assert same.answer == "Test accuracy is the same, within ±0.010, from batch 32 to batch 512."
    [single] = glance([result("batchnorm", 8, 0.9), result("batchnorm", 256, 0.7)])
    assert single.verdict == "undecided" and single.answer.endswith(", undecided: one seed gives no test.")
    assert "0.900 (n=1)" in single.evidence


def test_one_row_per_question_naming_the_other_contexts():
    rows = [result("batch_size", b, a, [a - 0.01, a, a + 0.01], strategy=s, replicas=r)
            for b, a in ((32, 0.9), (512, 0.5)) for s, r in (("one_device", 1), ("mirrored", 2))]  # fmt: skip
    rows += [
        {**result("noise_scale", 64, None), "noise_scale": 812.0, "spec": {"model": "mlp", "global_batch_size": 64}}
    ]
    batch, noise = glance(rows)
    assert batch.question == "batch_size" and batch.evidence.endswith("1 more context below")
    assert noise.verdict == "one seed" and "812" in noise.answer  # an estimate, not a comparison


def test_the_table_leads_the_findings_in_markdown_and_html():
    table = glance_table([("batch_size", "Test accuracy falls.", "0.9 → 0.5", "real")])
    md = report_markdown("r", [], [], {}, ["batch_size (long form)."], table)
    assert md.index("## Findings") < md.index("| batch_size | Test accuracy falls.") < md.index("- batch_size (long")
    page = report_page("r", [], [], {}, ["batch_size (long form)."], table)
    assert page.index('class="glance"') < page.index('class="findings"')
    assert "<td>real</td>" in page


def test_lr_tuning_is_read_in_steps_to_the_target_whatever_rate_each_batch_was_tuned_to():
    rows = []
    for batch, rate, steps in ((32, 1e-3, 40.0), (256, 3e-3, 12.0)):
        row = result("lr_tuning", batch, 0.9, n=3, learning_rate=rate)
        row["seed_stats"] = {"steps_to_target": stats.summary([steps - 2, steps, steps + 2])}
        rows.append(row)
    [row] = glance(rows)
    assert row.answer == "The number of steps to the target falls from batch 32 to batch 256."
    assert row.verdict == "real"


def test_batchnorm_is_read_across_the_models_at_the_first_batch():
    points = ((8, "mlp", 0.93), (8, "mlp_bn", 0.96), (256, "mlp", 0.73), (256, "mlp_bn", 0.68))
    rows = [result("batchnorm", b, a, [a - 0.005, a, a + 0.005], model=m) for b, m, a in points]
    [row] = glance(rows)
    assert row.answer == "Test accuracy rises from mlp to mlp_bn (batch 8)." and row.verdict == "real"


def test_a_context_is_named_by_what_differs_from_most_configurations():
    knobs = ({}, {"jit_compile": True}, {"steps_per_execution": 8})
    usual = {"model": "mlp", "dataset": "synthetic", "jit_compile": False, "steps_per_execution": 1}
    rows = [result("throughput", b, None, **(usual | knob)) | {"examples_per_sec": float(b * (2 if knob else 1))}
            for b in (64, 512) for knob in knobs]  # fmt: skip
    rows += [result("throughput", b, None, **(usual | {"model": "cnn"})) | {"examples_per_sec": 1.0} for b in (64, 512)]
    row = next(r for r in glance(rows) if r.question == "throughput")
    # Not "(mlp, jit_compile=False, steps_per_execution=1)": the defaults of the knob rows go unsaid.
    assert row.answer == "Examples/s rises from batch 64 to batch 512 (mlp), undecided: one seed gives no test."


def test_the_hardware_table_row_gives_the_span_of_mfu_and_the_family_with_most():
    families = (("resnet20", 64, 0.60), ("resnet50", 4, 0.58), ("transformer_small", 32, 0.48))
    rows = [result("models", b, None, model=m) | {"mfu": mfu, "examples_per_sec": 1.0} for m, b, mfu in families]
    [row] = glance(rows)
    assert row.answer == "MFU from 0.48 to 0.60 over 3 configurations; every family's examples/s in its findings."
    assert row.evidence == "highest: resnet20 at batch 64, MFU 0.60" and row.verdict == "see below"
