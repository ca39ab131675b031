from pathlib import Path

import pytest

from bench_lib.render.plot_scaling import plot_steps_to_target, steps_to_target_png


def rows():
    out = []
    for batch, steps in ((16, 128), (64, 40), (256, None)):
        spec = {"global_batch_size": batch, "target_accuracy": 0.85, "lr_scaling": "linear", "seed": 0}
        out.append({"status": "ok", "spec": spec, "steps_to_target": steps})
    return out


def test_the_plot_is_written_once_and_never_over_a_saved_file(tmp_path):
    path = tmp_path / "steps.png"
    assert plot_steps_to_target(rows(), path) == path
    assert path.read_bytes().startswith(b"\x89PNG")
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        plot_steps_to_target(rows(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["steps.png"], "no temporary file is left behind"


def test_nothing_to_plot_without_a_reached_target(tmp_path):
    nothing = [r | {"steps_to_target": None} for r in rows()]
    assert plot_steps_to_target(nothing, tmp_path / "x.png") is None
    assert not (tmp_path / "x.png").exists()


def test_reports_get_the_same_plot_as_png_bytes(tmp_path):
    png = steps_to_target_png(rows())
    assert png.startswith(b"\x89PNG") and len(png) > 5_000
    assert steps_to_target_png([r | {"steps_to_target": None} for r in rows()]) is None


def test_the_plots_go_through_no_pyplot_state(tmp_path):
    import matplotlib.pyplot as plt

    from bench_lib.analysis.machines import PerformanceProfile
    from bench_lib.render import plot_scaling
    from bench_lib.render.plot_machines import performance_profile_png

    assert plot_scaling._figure(rows()).canvas.manager is None, "a figure pyplot made has a manager"
    open_before = plt.get_fignums()
    steps_to_target_png(rows())
    plot_steps_to_target(rows(), tmp_path / "steps.svg")
    assert (tmp_path / "steps.svg").read_text().lstrip().startswith("<?xml"), "the format follows the suffix"
    problems = (("resnet20", "float32"), ("resnet50", "float32"))
    profile = PerformanceProfile(machines=("a", "b"), problems=problems, ratios=((1.0, 1.5), (2.0, 1.0)), left_out=0)
    assert performance_profile_png(profile).startswith(b"\x89PNG")
    assert plt.get_fignums() == open_before


def test_a_report_of_a_time_to_accuracy_run_carries_the_log_log_plot():
    from bench_lib.cli.saved_runs.report import report_files
    from bench_lib.record.history import Benchmark, SavedRun

    benches = tuple(Benchmark(question="time_to_accuracy", id=f"bs{r['spec']['global_batch_size']}", result=r,
                              rounds_s=(), timing={}) for r in rows())  # fmt: skip
    run = SavedRun(path=Path("0001_t.json"), name="0001_t", datetime="", machine={}, commit={}, benchmarks=benches,
                   skipped=())  # fmt: skip
    files = report_files(run)
    assert files["time_to_accuracy-steps-to-target.png"].startswith(b"\x89PNG")
    assert "![time_to_accuracy-steps-to-target.png](time_to_accuracy-steps-to-target.png)" in files["report.md"]
