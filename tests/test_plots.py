"""Which field a question's figure puts on x and which fields tell its lines apart."""

from bench_lib.render import plots


def result(**spec):
    fields = {"strategy": "one_device", "replicas": 1, "seed": 0, **spec}
    return {"spec": fields, "status": "ok", "test_accuracy": 0.5, "examples_per_sec": 100.0, "tf_peak_mib": 1.0}


def test_batch_size_is_x_and_fields_that_follow_from_others_do_not_split_lines():
    results = [
        result(global_batch_size=b, lr_scaling=rule, warmup_epochs=0 if rule == "none" else 1, check_steps=1024 // b)
        for b in (32, 64, 128)
        for rule in ("none", "linear")
    ]
    assert plots.x_axis(results) == "global_batch_size"
    assert plots.label_fields(results, "global_batch_size") == ["lr_scaling"]
    assert plots.question_figure("q", "Q", results)[:8] == b"\x89PNG\r\n\x1a\n"


def test_accumulation_is_x_when_the_batch_is_fixed_and_no_numeric_field_means_no_figure():
    assert (
        plots.x_axis([result(global_batch_size=256, accumulation_steps=a) for a in (1, 2, 4)]) == "accumulation_steps"
    )
    only_models = [result(model=m) for m in ("mlp", "cnn")]
    assert plots.x_axis(only_models) is None
    assert plots.question_figure("q", "Q", only_models) is None


def test_the_model_figure_draws_examples_per_second_and_mfu_for_two_models_or_more():
    rows = [
        {**result(model=model, global_batch_size=batch, strategy=strategy), "mfu": 0.3}
        for model, batch in (("resnet20", 128), ("resnet50", 32), ("resnet50", 64))
        for strategy in ("one_device", "mirrored")
    ]
    assert plots.model_figure("models", "Models", rows)[:8] == b"\x89PNG\r\n\x1a\n"
    assert plots.model_figure("models", "Models", [r for r in rows if r["spec"]["model"] == "resnet50"]) is None
