"""Comparing machines: ratios with intervals from literal rounds, the findings side by side, the compare hook."""

import copy
import json
import math
from dataclasses import dataclass

import pytest

from bench_lib.analysis import machines
from bench_lib.analysis.machines import LogRatio, Side
from bench_lib.cli.main import main
from bench_lib.render import machine_tables


@dataclass(frozen=True)
class Saved:
    question: str
    id: str
    result: dict
    rounds_s: tuple[float, ...] = ()


def bench(model, rounds, *, precision="float32", question="models", memory=100.0, batch=32, **result):
    suffix = "" if precision == "float32" else f"-{precision}"
    spec = {"model": model, "precision": precision, "global_batch_size": batch}
    eps = batch / (sum(rounds) / len(rounds)) if rounds else None
    return Saved(question, f"one_device-bs{batch}-{model}{suffix}",
                 {"status": "ok", "spec": spec, "step_peak_mib": memory, "examples_per_sec": eps, **result},
                 tuple(rounds))  # fmt: skip


FAST = (0.010, 0.011, 0.0105, 0.0102, 0.0098)
SLOW = tuple(2 * t for t in FAST)


def test_a_machine_twice_as_fast_is_a_ratio_of_two_with_an_interval_around_it():
    ratio = machines.round_ratio(SLOW, FAST)
    assert ratio.ratio == pytest.approx(2.0)
    low, high = ratio.interval
    assert low < 2.0 < high and high / low < 1.2


def test_the_ratio_points_the_other_way_when_new_is_slower():
    ratio = machines.round_ratio(FAST, SLOW)
    assert ratio.ratio == pytest.approx(0.5) and ratio.interval[1] < 1


def test_noisier_rounds_give_a_wider_interval():
    noisy = (0.008, 0.013, 0.009, 0.012, 0.0105)
    tight, wide = machines.round_ratio(SLOW, FAST), machines.round_ratio(SLOW, noisy)
    assert wide.interval[1] / wide.interval[0] > tight.interval[1] / tight.interval[0]


def test_equal_machines_have_an_interval_that_holds_one():
    other = (0.0101, 0.0099, 0.0104, 0.0103, 0.0100)
    low, high = machines.round_ratio(FAST, other).interval
    assert low < 1 < high


@pytest.mark.parametrize("rounds", [(0.01,), (0.01, 0.0), (0.01, -1.0)])
def test_bad_rounds_are_named(rounds):
    with pytest.raises(ValueError, match=r"base_rounds_s=.* is not allowed: two or more positive times"):
        machines.round_ratio(rounds, FAST)


def test_the_geometric_mean_of_two_and_eight_is_four_and_keeps_an_interval_only_if_every_part_has_one():
    mean = machines.geometric_mean([LogRatio(math.log(2), 0.1, 10), LogRatio(math.log(8), 0.1, 4)])
    assert mean.ratio == pytest.approx(4.0) and mean.df == 4 and mean.se == pytest.approx(math.sqrt(0.02) / 2)
    assert machines.geometric_mean([LogRatio(math.log(2), 0.1, 10), LogRatio(math.log(8))]).interval is None
    with pytest.raises(ValueError, match="parts=\\[\\] is not allowed"):
        machines.geometric_mean([])


def test_the_summary_groups_by_family_and_precision_and_takes_memory_without_an_interval():
    base = [bench("resnet50", SLOW), bench("resnet20", SLOW, memory=50.0),
            bench("resnet50", SLOW, precision="mixed_bfloat16"), bench("mlp", SLOW, question="accumulation"),
            bench("bert_base", SLOW)]  # fmt: skip
    new = [bench("resnet50", FAST), bench("resnet20", tuple(t * 4 for t in FAST), memory=100.0),
           bench("resnet50", tuple(t / 2 for t in FAST), precision="mixed_bfloat16"),
           bench("mlp", FAST, question="accumulation")]  # fmt: skip
    summary = machines.summarize(base, new, questions=("models",))
    by = {(f.family, f.precision): f for f in summary.families}
    assert set(by) == {("resnet50", "float32"), ("resnet20", "float32"), ("resnet50", "mixed_bfloat16")}
    assert by[("resnet50", "float32")].throughput.ratio == pytest.approx(2.0)
    assert by[("resnet20", "float32")].throughput.ratio == pytest.approx(0.5)
    assert by[("resnet50", "mixed_bfloat16")].throughput.ratio == pytest.approx(4.0)
    assert by[("resnet20", "float32")].memory.ratio == pytest.approx(2.0)
    assert by[("resnet20", "float32")].memory.interval is None
    assert summary.throughput_by_precision["float32"].ratio == pytest.approx(1.0)  # sqrt(2 x 0.5)
    assert summary.throughput_by_precision["float32"].interval is not None
    assert summary.unmatched == 1  # bert_base ran in BASE only


def test_without_rounds_the_saved_throughputs_give_the_ratio_and_no_interval():
    base, new = bench("resnet50", ()), bench("resnet50", ())
    base.result["examples_per_sec"], new.result["examples_per_sec"] = 10.0, 30.0
    ratio = machines.configuration_ratio(base, new)
    assert ratio.ratio == pytest.approx(3.0) and ratio.interval is None


def test_mixed_precision_is_set_against_its_float32_twin_with_the_loss_scale():
    run = [
        bench("resnet50", SLOW),
        bench("resnet50", FAST, precision="mixed_float16", loss_scale_skipped_steps=2),
        bench("resnet20", FAST, precision="mixed_bfloat16"),
    ]  # fmt: skip (no float32 twin: left out)
    [found] = machines.precision_speedups(run, questions=("models",))
    assert (found.precision, found.loss_scale_skipped_steps) == ("mixed_float16", 2)
    assert found.speedup.ratio == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("base", "new", "call"),
    [
        (Side("real", "rises"), Side("real", "rises"), "agree"),
        (Side("same", None), Side("same", None), "agree"),
        (Side("real", "rises"), Side("real", "falls"), "disagree"),
        (Side("real", "falls"), Side("same", None), "undecided"),  # a real difference may lie inside the margin
        (Side("real", "falls"), Side("undecided", "falls"), "undecided"),  # not seeing it is no evidence against
        (Side("undecided", None), Side("undecided", None), "undecided"),
        (Side("one seed", "rises"), Side("real", "rises"), "undecided"),
        (Side("see below", None), Side("see below", None), "undecided"),
    ],
)
def test_findings_agree_disagree_or_stay_undecided(base, new, call):
    assert machines.side_by_side(base, new) == call


def test_the_direction_is_read_from_a_glance_answer():
    assert machines.direction_of("Test accuracy falls from batch 32 to batch 512 (one_device).") == "falls"
    assert machines.direction_of("Test accuracy does not measurably change from a to b.") is None


def test_the_summary_renders_ratios_intervals_and_means_and_computes_nothing():
    summary = machines.summarize([bench("resnet50", SLOW)], [bench("resnet50", FAST)], questions=("models",))
    pairs = [machines.FindingPair("batch_size", "falls (real)", "falls (real)", "agree")]
    text = machine_tables.summary_markdown("a", "b", summary, pairs)
    assert text.startswith("# Machines: b over a")
    assert "| resnet50 | float32 | 1 | 2.00× [" in text
    assert "**geometric mean** (1 family) | float32 |" in text
    assert "| batch_size | falls (real) | falls (real) | agree |" in text


def test_each_runs_findings_are_judged_with_its_own_family_and_same_on_both_agrees():
    """The verdict word comes from the family `judged` gives each run, as that run's own report prints it."""
    from bench_lib.analysis.family import Family
    from bench_lib.analysis.glance import Glance

    judged_runs = []

    def judged(results):
        judged_runs.append(sorted(r["verdict"] for r in results))
        family = Family()
        family.word = results[0]["verdict"]  # what this run's judging decided, read back by the rule below
        return family

    def rule(question, results, *, family):
        return Glance(question, f"answer {family.word}", "evidence", family.word)

    def run(word):
        return [Saved("q", "a", {"status": "ok", "verdict": word}), Saved("q", "b", {"status": "ok", "verdict": word})]

    calls = {}
    for a, b in [("same", "same"), ("real", "same"), ("undecided", "undecided")]:
        [pair] = machines.findings_side_by_side(run(a), run(b), rules={"q": rule}, judged=judged)
        calls[a, b] = pair.call
    assert calls == {("same", "same"): "agree", ("real", "same"): "undecided", ("undecided", "undecided"): "undecided"}
    assert len(judged_runs) == 6


def test_compare_across_machines_puts_the_summary_before_the_rows(saved_suite, tmp_path, capsys):
    data = json.loads(saved_suite.read_text())
    other = copy.deepcopy(data)
    other["machine_info"].update(cpu_model="Other CPU", cpu_precision_flags=["avx2", "amx_bf16"])
    base, new = tmp_path / "0001_a.json", tmp_path / "0002_b.json"
    base.write_text(json.dumps(data))
    new.write_text(json.dumps(other))
    main(["compare", str(base), str(new), "--reports", str(tmp_path)])
    out = capsys.readouterr().out
    assert out.index("# Machines: 0002_b over 0001_a") < out.index("# tfbench compare: 0001_a vs 0002_b")
    assert "**geometric mean**" in out and "The findings on both machines" in out
    # The same run on "another" machine: every decided finding agrees with itself.
    assert "| disagree |" not in out and "opposite directions" not in out


def test_compare_on_the_same_hardware_has_no_machine_summary(saved_suite, tmp_path, capsys):
    main(["compare", str(saved_suite), str(saved_suite), "--reports", str(tmp_path)])
    assert "# Machines:" not in capsys.readouterr().out


def _runs_for_profile():
    a = [bench("resnet50", (), examples_per_sec=100.0), bench("bert_base", (), examples_per_sec=10.0)]
    b = [bench("resnet50", (), examples_per_sec=50.0), bench("bert_base", (), examples_per_sec=20.0)]
    c = [
        bench("resnet50", (), examples_per_sec=25.0),
        bench("bert_base", (), examples_per_sec=5.0),
        bench("mobilenet_v2", (), examples_per_sec=7.0),
    ]  # fmt: skip (c only: left out)
    return [("a", a), ("b", b), ("c", c)]


def test_the_performance_profile_sets_each_machine_against_the_fastest_per_problem():
    profile = machines.performance_profile(_runs_for_profile(), questions=("models",))
    assert profile.problems == (("bert_base", "float32"), ("resnet50", "float32"))
    assert [list(row) for row in profile.ratios] == [pytest.approx(r) for r in ([2, 1], [1, 2], [4, 4])]
    assert profile.left_out == 1
    assert [list(step) for step in profile.curve(0)] == [[1.0, 0.5], pytest.approx([2.0, 1.0])]
    # Never the fastest, within 4x everywhere.
    assert [list(step) for step in profile.curve(2)] == [[1.0, 0.0], pytest.approx([4.0, 1.0])]


def test_a_profile_needs_two_runs_with_a_configuration_in_common():
    with pytest.raises(ValueError, match="is not allowed: two or more"):
        machines.performance_profile(_runs_for_profile()[:1], questions=("models",))
    with pytest.raises(ValueError, match="share no configuration"):
        machines.performance_profile(_runs_for_profile(), questions=("throughput",))


def test_the_profile_renders_as_a_png_and_a_table():
    from bench_lib.render import plot_machines

    profile = machines.performance_profile(_runs_for_profile(), questions=("models",))
    assert plot_machines.performance_profile_png(profile).startswith(b"\x89PNG")
    table = machine_tables.profile_table(profile)
    assert table.header == ("family", "precision", "a", "b", "c")
    assert table.rows[0] == ("bert_base", "float32", "2.00", "1.00", "4.00")


def test_the_machines_command_writes_the_profile_and_each_hardware_table(saved_suite, tmp_path, capsys):
    data = json.loads(saved_suite.read_text())
    paths = []
    for i, factor in enumerate((1.0, 2.0, 0.5)):
        other = copy.deepcopy(data)
        other["machine_info"]["cpu_model"] = f"CPU {i}"
        for b in other["benchmarks"]:
            if b["extra_info"].get("examples_per_sec"):
                b["extra_info"]["examples_per_sec"] *= factor
        paths.append(tmp_path / f"000{i + 1}_m{i}.json")
        paths[-1].write_text(json.dumps(other))
    assert main(["machines", *map(str, paths), "--reports", str(tmp_path / "reports")]) == 0
    folder = tmp_path / "reports" / "machines-0001_m0-0002_m1-0003_m2"
    assert sorted(p.name for p in folder.iterdir()) == ["index.html", "machines.md", "performance-profile.png"]
    text = (folder / "machines.md").read_text()
    assert "| CPU 1," in text and "| CPU 2," in text  # each machine's facts beside the profile
    assert "data:image/png;base64," in (folder / "index.html").read_text()
    assert main(["machines", str(paths[0]), "--reports", str(tmp_path / "reports")]) == 2
    assert "two or more" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("machine", "name"),
    [
        ({"cpu_model": "AMD EPYC", "cpu_precision_flags": ["avx2", "fma", "f16c"]}, "amd-epyc-avx2"),
        ({"cpu_model": "AMD EPYC", "cpu_precision_flags": ["avx2", "avx512f", "avx512_bf16"]}, "amd-epyc-avx512-bf16"),
        ({"cpu_model": "Intel(R) Xeon(R) Platinum 8480+ CPU @ 2.0GHz", "cpu_precision_flags": ["avx512f", "amx_bf16"]},
         "intel-xeon-platinum-8480-amx"),
        ({"cpu_model": "AMD EPYC", "gpu_names": ["NVIDIA A100-SXM4-40GB"]}, "nvidia-a100-sxm4-40gb"),
        ({}, "cpu"),
    ],
)  # fmt: skip
def test_a_machine_class_is_its_brand_and_widest_precision_feature(machine, name):
    assert machines.machine_class(machine) == name


def test_a_reference_run_is_kept_by_class_and_a_loaded_one_only_labelled_provisional(saved_suite, tmp_path, capsys):
    data = json.loads(saved_suite.read_text())
    data["machine_info"].update(cpu_model="AMD EPYC", cpu_precision_flags=["avx2"], cpu_cores_logical=2,
                                others_cpu_cores=0.1)  # fmt: skip
    data.get("tfbench_load", {}).pop("others_cpu_cores", None)  # the load is read from here first
    quiet = tmp_path / "0001_quiet.json"
    quiet.write_text(json.dumps(data))
    reports = tmp_path / "reports"
    assert main(["reference-run", str(quiet), "--reports", str(reports)]) == 0
    folder = reports / "reference" / "amd-epyc-avx2"
    assert json.loads((folder / "0001_quiet.json").read_text()) == data
    text = (folder / "README.md").read_text()
    assert "Provisional" not in text and f"tfbench compare {folder.as_posix()} NEW" in text
    data["machine_info"]["others_cpu_cores"] = 1.7
    loaded = tmp_path / "0002_loaded.json"
    loaded.write_text(json.dumps(data))
    assert main(["reference-run", str(loaded), "--reports", str(reports)]) == 2
    assert "measured under load" in capsys.readouterr().err
    assert "Provisional" not in (folder / "README.md").read_text()  # nothing replaced
    assert main(["reference-run", str(loaded), "--reports", str(reports), "--provisional"]) == 0
    assert [p.name for p in folder.glob("*.json")] == ["0002_loaded.json"], "one run a machine class"
    assert (folder / "README.md").read_text().splitlines()[2].startswith("**Provisional: measured under load.")
    # The folder is a RUN that compare reads.
    assert main(["compare", str(folder), str(quiet), "--reports", str(tmp_path)]) in (0, 1)


def test_the_speed_up_table_shows_the_interval_and_the_skipped_steps():
    run = [bench("mlp", SLOW), bench("mlp", FAST, precision="mixed_float16", loss_scale_skipped_steps=3)]
    table = machine_tables.speedup_table(machines.precision_speedups(run, questions=("models",)))
    [row] = table.rows
    assert row[:2] == ("one_device-bs32-mlp-mixed_float16", "mixed_float16")
    assert row[2].startswith("2.00× [") and row[3] == "3"


def test_a_report_sets_each_mixed_precision_configuration_against_its_float32_twin(tmp_path):
    from bench_lib.cli.saved_runs import report
    from bench_lib.record.history import SavedRun

    run = SavedRun(path=tmp_path / "r.json", name="r", datetime="2030-01-01T00:00:00", machine={}, commit={},
                   benchmarks=(bench("mlp", SLOW, question="precision"),
                               bench("mlp", FAST, question="precision", precision="mixed_bfloat16")),
                   skipped=())  # fmt: skip
    [table] = report._precision_tables(run, "precision")
    assert table.rows[0][0] == "one_device-bs32-mlp-mixed_bfloat16"
    assert report._precision_tables(run, "models") == []
