"""The metric registry: its invariants, its agreement with RunResult, and a metric added at test time
reaching the summary table, the CSV, the github-action-benchmark export, compare, trend and the reference."""

import ast
import csv
import dataclasses
import io
import json
import types
import typing
from pathlib import Path

import pytest

from bench_lib.analysis import trend, verdict
from bench_lib.analysis.vocabulary import READINGS
from bench_lib.config.spec import RunSpec
from bench_lib.maths.inference import Margin
from bench_lib.record import history, metrics
from bench_lib.record.metrics import COMPARE_RULES, Metric, metric
from bench_lib.record.result import STATUSES, RunResult
from bench_lib.render import export, result_keys, tables, verdict_tables

TOP5 = Metric(
    key="top5_accuracy", label="top-5 accuracy", unit="", direction="higher", fmt=".3f",
    description="Share of test examples whose label is among the model's five likeliest.",
    compare="accuracy", exported=True, column="top-5",
)  # fmt: skip


def _numeric(hint: object) -> bool:
    """int, float, bool, or one of them or None."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    return all(t in (int, float, bool, type(None)) for t in options)


def test_keys_are_unique_and_every_metric_is_a_runresult_field():
    keys = [m.key for m in metrics.METRICS]
    assert len(keys) == len(set(keys))
    fields = {f.name for f in dataclasses.fields(RunResult)}
    assert set(keys) <= fields


def test_every_numeric_runresult_field_is_a_metric_and_every_result_key_is_declared_once():
    hints = typing.get_type_hints(RunResult)
    numeric = {name for name, hint in hints.items() if _numeric(hint)}
    keys = {m.key for m in metrics.METRICS}
    assert numeric <= keys, f"numeric fields that are no metric: {sorted(numeric - keys)}"
    details = {d.key for d in metrics.DETAILS}
    assert not keys & details
    assert set(RunResult(spec=RunSpec(), status="ok").as_dict()) == keys | details


def test_every_compare_rule_but_status_has_a_threshold_and_the_compared_metrics_a_direction():
    assert set(verdict.THRESHOLD_UNITS) == set(COMPARE_RULES) - {"status"}
    assert set(verdict.DEFAULT_THRESHOLDS) == set(verdict.THRESHOLD_UNITS)
    for m in verdict.trended():
        assert m.direction in ("higher", "lower"), m.key
    assert [m.key for m in verdict.compared()][:2] == ["status", "step_time_ms"]


def test_seeds_aggregate_exactly_the_seeded_metrics():
    from bench_lib.record import seeds

    results = [RunResult(spec=RunSpec(seed=s), status="ok", test_accuracy=0.5 + s / 10, wall_s=1.0) for s in (0, 1)]
    combined = seeds.combine(results)
    assert list(combined.seed_stats) == [m.key for m in metrics.METRICS if m.seeded]
    assert combined.test_accuracy == pytest.approx(0.55)


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [("direction", "up", "'higher', 'lower' or None"), ("compare", "speed", "use one of")],
)
def test_a_bad_metric_is_refused_naming_the_field(field, value, allowed):
    with pytest.raises(ValueError, match=rf"top5_accuracy: {field}='{value}' is not allowed: .*{allowed}"):
        dataclasses.replace(TOP5, **{field: value})


def test_a_compared_metric_needs_a_direction():
    with pytest.raises(ValueError, match="direction=None is not allowed for a compared or exported metric"):
        dataclasses.replace(TOP5, direction=None)


def test_words_and_a_margin_go_together():
    with pytest.raises(ValueError, match=r"top5_accuracy: words='top-5 accuracy' with margin=None is not allowed"):
        dataclasses.replace(TOP5, words="top-5 accuracy")
    with pytest.raises(ValueError, match=r"top5_accuracy: words='' with margin=Margin.* is not allowed"):
        dataclasses.replace(TOP5, margin=Margin("difference", 0.01))


def test_a_sentence_reads_a_metric_by_its_registry_entry_alone():
    """READINGS is the registry's words, sentence format and margin, not a second declaration: every
    metric with words has a reading that agrees with its entry, and one added at test time has one too."""
    assert list(READINGS) == list(metrics.sentence_metrics())
    for key, reading in READINGS.items():
        entry = metric(key)
        assert (reading.key, reading.words, reading.fmt, reading.margin) == (
            key, entry.words, entry.sentence_format, entry.margin
        )  # fmt: skip
    assert metric("test_accuracy").fmt == ".4f" and READINGS["test_accuracy"].fmt == ".3f", "table and sentence"
    assert metric("examples_per_sec").sentence_format == metric("examples_per_sec").fmt == ",.0f"
    worded = dataclasses.replace(TOP5, words="top-5 accuracy", sentence_fmt=".2f", margin=Margin("difference", 0.02))
    with metrics.METRICS.added(worded):
        reading = READINGS["top5_accuracy"]
        assert (reading.words, reading.fmt, reading.margin.margin) == ("top-5 accuracy", ".2f", 0.02)
    assert "top5_accuracy" not in READINGS
    with pytest.raises(KeyError):
        READINGS["tf_peak_mib"]  # no words: no sentence follows it


def _literals(tree: ast.AST) -> list[str]:
    """The string constants of a module other than its docstrings."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }  # fmt: skip
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docstrings]  # fmt: skip


def test_no_module_of_the_reading_side_declares_a_metrics_words_or_a_findings_format_again():
    """A metric's words are a string only its registry entry holds, and the analysis modules take every
    figure's format in a sentence from a reading or the registry, never a literal."""
    package = Path(metrics.__file__).parents[1]
    worded = {m.words: m.key for m in metrics.METRICS if m.words and m.words != m.key}
    for path in sorted(package.rglob("*.py")):
        if path == Path(metrics.__file__):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        again = sorted(set(_literals(tree)) & set(worded))
        assert not again, f"{path.relative_to(package)} declares {again} again: read metrics.METRICS"
        if path.parent.name != "analysis":
            continue
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            name = getattr(call.func, "id", getattr(call.func, "attr", ""))
            if name == "interval_text" and len(call.args) > 1:
                assert not isinstance(call.args[1], ast.Constant), f"{path.name}:{call.lineno} formats a literal"


def test_an_unknown_key_names_the_known_ones():
    assert metric("tf_peak_mib").unit == "MiB"
    with pytest.raises(ValueError, match=r"metric='speed' is not allowed: choose one of status, test_accuracy"):
        metric("speed")


def test_added_adds_for_the_block_only_and_refuses_a_key_twice():
    before = metrics.METRICS.all()
    with metrics.METRICS.added(TOP5):
        assert metric("top5_accuracy") is TOP5
        with (
            pytest.raises(ValueError, match=r"^key='top5_accuracy' is not allowed: a metric of that key is registered"),
            metrics.METRICS.added(TOP5),
        ):
            pass
    assert metrics.METRICS.all() == before
    with pytest.raises(ValueError, match=r"^key='status' is not allowed: only a metric added by register"):
        metrics.METRICS.unregister("status")


def _saved_run(folder: Path, name: str, top5: float | None, minutes: int) -> Path:
    """A pytest-benchmark file with one tfbench benchmark; top5=None saves it without the key (an older run)."""
    result = RunResult(spec=RunSpec(), status="ok", test_accuracy=0.9, examples_per_sec=1000.0).as_dict()
    if top5 is not None:
        result["top5_accuracy"] = top5
    bench = {"name": "test_toy[x]", "group": "test_toy", "stats": {"median": 0.01, "data": [0.01] * 5},
             "extra_info": result}  # fmt: skip
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"datetime": f"2030-01-01T00:{minutes:02d}:00", "benchmarks": [bench]}))
    return path


def test_a_metric_added_at_test_time_shows_in_the_table_csv_export_compare_trend_and_reference(tmp_path):
    with metrics.METRICS.added(TOP5):
        saved = [("0001_old", None), ("0002_base", 0.95), ("0003_new", 0.80)]
        runs = [history.load_run(_saved_run(tmp_path, name, top5, i)) for i, (name, top5) in enumerate(saved)]
        results = [r.benchmarks[0].result for r in runs]

        table = tables.markdown_table(results).splitlines()
        assert table[0].endswith("| top-5 |")
        assert [row.rsplit("|", 2)[1].strip() for row in table[2:]] == ["-", "0.950", "0.800"]

        rows = list(csv.DictReader(io.StringIO(export.results_csv(r.benchmarks[0] for r in runs))))
        assert [row["top5_accuracy"] for row in rows] == ["", "0.95", "0.8"]
        tracked = json.loads(export.github_action_benchmark(runs[2].benchmarks, bigger_is_better=True))
        key = runs[2].benchmarks[0].key
        assert {"name": f"{key} top-5 accuracy", "unit": "fraction", "value": 0.8} in [
            {k: e[k] for k in ("name", "unit", "value")} for e in tracked
        ]

        thresholds = verdict.parse_thresholds("")
        comparison = verdict.compare_runs(runs[1], runs[2], thresholds)
        (row,) = [r for r in comparison.rows if r.metric.key == "top5_accuracy"]
        assert (row.verdict.verdict, round(row.verdict.change, 6)) == ("worse", -15.0)
        assert comparison.rows[0] is row  # the only worse row
        markdown = verdict_tables.compare_markdown(runs[1], runs[2], comparison, [], thresholds)
        assert f"| {key} | top-5 accuracy | 0.950 | 0.800 | -15.00 pt | **worse** |" in markdown

        series = trend.trend(runs, thresholds).series
        (top5,) = [s for s in series if s.metric.key == "top5_accuracy"]
        assert top5.points == [("0002_base", 0.95), ("0003_new", 0.80)]

        page = result_keys.result_keys_markdown()
        assert "| `top5_accuracy` | - | higher | - | accuracy | yes | Share of test examples" in page
    assert "top5_accuracy" not in tables.markdown_table(results)


def test_the_reference_lists_every_result_key_once():
    page = result_keys.result_keys_markdown()
    for key in [m.key for m in metrics.METRICS] + [d.key for d in metrics.DETAILS]:
        assert page.count(f"| `{key}` |") == 1, key
    assert "| `lr_trials` |" in page, "a key one question saves is declared by that question"
    assert "tr(Σ)/\\|G\\|²" in page  # a bar inside a cell is escaped


def test_a_status_outside_the_declared_ones_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"^status='broken' is not allowed: use one of ok, diverged, "):
        RunResult(spec=RunSpec(), status="broken")


def test_the_result_keys_reference_lists_every_status():
    assert all(f"`{status}`" in metric("status").description for status in STATUSES)


def test_a_report_column_takes_its_title_and_format_from_the_registry():
    assert metrics.column("peak_rss_mib") == ("peak host memory, MiB", "peak_rss_mib", ",.1f")
    assert metrics.heading("steps_to_target") == "steps to target"  # the label names its unit already
