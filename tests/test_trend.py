"""trend by compare's rules: pooled timing noise, the memory floor, status, configuration changes, steps and
history hygiene, on copies of the checked-in example run."""

import base64
import copy
import json
from pathlib import Path

import pytest
import scaled_run

from bench_lib.analysis import trend
from bench_lib.cli.main import main
from bench_lib.record import history

EXAMPLE = Path(__file__).resolve().parents[1] / "reports" / "example" / "0001_example.json"
THRESHOLDS = {"time": 10.0, "throughput": 10.0, "accuracy": 1.0, "memory": 10.0}


@pytest.fixture(scope="module")
def throughput_run() -> dict:
    """The example run's 23 throughput configurations."""
    data = json.loads(EXAMPLE.read_text())
    data["benchmarks"] = [b for b in data["benchmarks"] if b["group"] == "test_throughput"]
    return data


def save(folder: Path, index: int, data: dict, **top) -> Path:
    """A copy saved as run number `index`, `index` minutes after the hour, with top-level keys replaced."""
    data = {**copy.deepcopy(data), "datetime": f"2030-01-01T00:{index:02d}:00+00:00", **top}
    path = folder / f"{index:04d}_night.json"
    path.write_text(json.dumps(data))
    return path


def runs_of(tmp_path: Path, datas: list[dict]) -> list[history.SavedRun]:
    return [history.load_run(save(tmp_path, i, d)) for i, d in enumerate(datas, start=1)]


def history_of(data: dict, newest: dict, count: int = 6) -> list[dict]:
    return [scaled_run.scaled(data, 1.0, jitter=0.03, seed=seed) for seed in range(count)] + [newest]


def verdicts(result: trend.Trend, label: str) -> list[str]:
    return [s.verdict.verdict for s in result.series if s.metric.label == label]


def run_level(result: trend.Trend, label: str = "step time (median)") -> str:
    return next(r.verdict.verdict for r in result.run_level if r.metric.label == label)


def test_an_unchanged_newest_run_is_quiet_and_a_uniform_slowdown_is_worse(throughput_run, tmp_path):
    same = scaled_run.scaled(throughput_run, 1.0, jitter=0.03, seed=50)
    result = trend.trend(runs_of(tmp_path, history_of(throughput_run, same)), THRESHOLDS)
    assert "worse" not in verdicts(result, "step time (median)") and run_level(result) == "same"
    assert not result.any_worse
    slow = scaled_run.scaled(throughput_run, 1.2, jitter=0.03, seed=50)
    result = trend.trend(runs_of(tmp_path, history_of(throughput_run, slow)), THRESHOLDS)
    worse = verdicts(result, "step time (median)").count("worse")
    assert worse >= 0.5 * len(throughput_run["benchmarks"]) and run_level(result) == "worse"
    timing = next(s for s in result.series if s.metric.label == "step time (median)" and s.verdict.verdict == "worse")
    assert "this configuration's between-run history" in timing.verdict.method


def test_every_timing_verdict_states_what_it_could_see(throughput_run, tmp_path):
    noisy = [scaled_run.scaled(throughput_run, 1.0, jitter=0.4, seed=seed) for seed in range(7)]
    result = trend.trend(runs_of(tmp_path, noisy), THRESHOLDS)
    timed = {s.key for s in result.series if s.metric.label == "step time (median)"}
    assert set(result.insensitive(THRESHOLDS)) == timed
    quiet = [scaled_run.scaled(throughput_run, 1.0, jitter=0.005, seed=seed) for seed in range(7)]
    assert trend.trend(runs_of(tmp_path, quiet), THRESHOLDS).insensitive(THRESHOLDS) == []


def with_peak(data: dict, mib: float) -> dict:
    data = copy.deepcopy(data)
    for bench in data["benchmarks"]:
        bench["extra_info"]["tf_peak_mib"] = mib
    return data


def test_memory_needs_the_same_two_mib_as_in_compare(throughput_run, tmp_path):
    small = [with_peak(throughput_run, mib) for mib in (0.49, 0.5, 0.48, 0.49, 0.6)]
    assert "worse" not in verdicts(trend.trend(runs_of(tmp_path, small), THRESHOLDS), "TF peak memory")
    large = [with_peak(throughput_run, mib) for mib in (10.0, 10.2, 9.9, 10.0, 30.0)]
    assert set(verdicts(trend.trend(runs_of(tmp_path, large), THRESHOLDS), "TF peak memory")) == {"worse"}


def test_a_configuration_that_newly_fails_or_goes_missing_is_worse(throughput_run, tmp_path):
    newest = copy.deepcopy(throughput_run)
    gone = newest["benchmarks"].pop()
    newest["benchmarks"][0]["extra_info"]["status"] = "oom"
    result = trend.trend(runs_of(tmp_path, [throughput_run] * 3 + [newest]), THRESHOLDS)
    status = {s.key: s.verdict for s in result.series if s.metric.label == "status"}
    first = newest["benchmarks"][0]["extra_info"]["id"]
    assert status[f"throughput/{first}"].verdict == "worse"
    assert status[f"throughput/{gone['extra_info']['id']}"].method == "missing in the newest run"
    assert result.any_worse


def test_a_changed_configuration_is_judged_only_against_its_own_runs(throughput_run, tmp_path):
    newest = copy.deepcopy(throughput_run)
    bench = newest["benchmarks"][0]
    bench["extra_info"]["spec"]["epochs"] = 7
    scaled_run.scale_benchmark(bench, 3.0)
    result = trend.trend(runs_of(tmp_path, history_of(throughput_run, newest, count=4)), THRESHOLDS)
    mine = [s for s in result.series if s.key == f"throughput/{bench['extra_info']['id']}" and s.metric.compare]
    timing = [s for s in mine if s.metric.label == "step time (median)"]
    assert timing[0].verdict.verdict == "changed" and timing[0].verdict.gate == "configuration changed"
    assert "epochs 5 -> 7" in timing[0].verdict.method


def test_a_step_anywhere_in_the_history_is_found_where_it_happened(throughput_run, tmp_path):
    series = [scaled_run.scaled(throughput_run, factor, jitter=0.02, seed=seed)
              for seed, factor in enumerate((1.0, 1.0, 1.0, 1.0, 1.5, 1.5, 1.5, 1.5))]  # fmt: skip
    result = trend.trend(runs_of(tmp_path, series), THRESHOLDS, window=3)
    steps = [s.step for s in result.series if s.metric.label == "step time (median)" and s.step is not None]
    assert len(steps) >= 0.8 * len(throughput_run["benchmarks"])
    assert {step.run for step in steps} == {"0005_night"} and all(40 < step.change < 60 for step in steps)
    assert "worse" not in verdicts(result, "step time (median)"), "the newest run is in line with its window"
    flat = [scaled_run.scaled(throughput_run, 1.0, jitter=0.02, seed=seed) for seed in range(8)]
    assert [s.step for s in trend.trend(runs_of(tmp_path, flat), THRESHOLDS).series if s.step] == []


def test_the_best_split_is_exact():
    assert trend.best_split([1, 1, 1, 5, 5]) == 3
    assert trend.best_split([1, 1, 9, 9, 9, 9]) == 2
    assert trend.best_split([1, 2, 3]) is None


def test_the_command_leaves_out_partial_runs_and_other_machines_naming_why(throughput_run, tmp_path, capsys):
    data = copy.deepcopy(throughput_run)
    data["benchmarks"] = data["benchmarks"][:3]  # fewer plots to draw
    store = tmp_path / ".benchmarks" / "machine"
    store.mkdir(parents=True)
    for index in range(1, 5):
        save(store, index, scaled_run.scaled(data, 1.0, jitter=0.02, seed=index))
    less_ram = copy.deepcopy(data)
    less_ram["machine_info"]["memory_total_mib"] -= 1  # the same machine
    save(store, 5, less_ram)
    other = copy.deepcopy(data)
    other["machine_info"]["cpu_model"] = "Other CPU"
    save(store, 6, other)
    save(store, 7, scaled_run.scaled(data, 3.0), tfbench_interrupted=True)
    save(store, 8, data)
    args = ["trend", "--storage", str(tmp_path / ".benchmarks"), "--reports", str(tmp_path / "reports")]
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert "`0007_night`: saved by an interrupted session (tfbench_interrupted)" in out
    assert "`0006_night`: another machine or set-up (cpu_model: " in out and "-> Other CPU" in out
    assert "0005_night" not in out.split("Runs, by saved")[0], "1 MiB less RAM is the same machine"
    assert "left out of the trend: `0007_night`" in err


def test_the_command_can_fail_an_insensitive_history_with_its_own_status(throughput_run, tmp_path, capsys):
    data = copy.deepcopy(throughput_run)
    data["benchmarks"] = data["benchmarks"][:3]
    store = tmp_path / ".benchmarks" / "machine"
    store.mkdir(parents=True)
    for index in range(1, 7):
        save(store, index, scaled_run.scaled(data, 1.0, jitter=0.4, seed=index))
    args = ["trend", "--storage", str(tmp_path / ".benchmarks"), "--reports", str(tmp_path / "reports")]
    assert main(args) == 0
    assert "3 of 3 timed benchmarks could not have seen a change of the threshold's size" in capsys.readouterr().out
    assert main([*args, "--fail-insensitive"]) == 3


def test_the_history_can_be_ordered_by_commit_time_or_tensorflow_version(throughput_run, tmp_path):
    runs = []
    for index, (commit_time, tf) in enumerate((("2030-01-03", "2.21.0"), ("2030-01-01", "2.9.1"),
                                               ("2030-01-02", "2.21.0rc1")), start=1):  # fmt: skip
        data = copy.deepcopy(throughput_run)
        data["commit_info"]["time"] = commit_time
        data["machine_info"]["tensorflow"] = tf
        runs.append(history.load_run(save(tmp_path, index, data)))
    assert [r.name for r in history.ordered(runs, "commit")] == ["0002_night", "0003_night", "0001_night"]
    assert [r.name for r in history.ordered(runs, "tensorflow")] == ["0002_night", "0003_night", "0001_night"]
    assert [r.name for r in history.ordered(runs, "saved")] == ["0001_night", "0002_night", "0003_night"]
    with pytest.raises(ValueError, match="--order='x' is not allowed"):
        history.ordered(runs, "x")


def test_each_benchmark_gets_an_html_page_with_its_history_and_noise_band(throughput_run, tmp_path, capsys):
    data = copy.deepcopy(throughput_run)
    data["benchmarks"] = data["benchmarks"][:2]
    store = tmp_path / ".benchmarks" / "machine"
    store.mkdir(parents=True)
    for index in range(1, 7):
        save(store, index, scaled_run.scaled(data, 1.0, jitter=0.02, seed=index))
    save(store, 7, scaled_run.scaled(data, 1.5, jitter=0.02, seed=7))
    reports = tmp_path / "reports"
    assert main(["trend", "--storage", str(tmp_path / ".benchmarks"), "--reports", str(reports)]) == 1
    assert f"each benchmark's history and noise band: {reports / 'trend' / 'index.html'}" in capsys.readouterr().out
    folder = reports / "trend"
    index = (folder / "index.html").read_text()
    keys = [f"{b['group'].removeprefix('test_')}/{b['param']}" for b in data["benchmarks"]]
    for key in keys:
        stem = key.replace("/", "--")
        assert f"<a href='{stem}.html'>{key}</a>" in index
        page = (folder / f"{stem}.html").read_text()
        png = base64.b64decode(page.split("data:image/png;base64,")[1].split("'")[0])
        assert png[:4] == b"\x89PNG", "the band figure is in the page itself"
        assert '<td class="worse">worse</td>' in page and "noise band" in page
        assert f"[{key}: page]({stem}.html)" in (folder / "trend.md").read_text()
    # The band is the history median ÷/× the detectable change for timing, and the newest ×1.5 lies beyond it.
    result = trend.trend([history.load_run(p) for p in sorted(store.glob("*.json"))], THRESHOLDS)
    timing = next(s for s in result.series if s.metric.compare == "time")
    low, high = timing.band
    assert low == pytest.approx(timing.verdict.base / timing.verdict.detectable)
    assert high == pytest.approx(timing.verdict.base * timing.verdict.detectable) and timing.points[-1][1] > high
    accuracy_or_memory = [s for s in result.series if s.metric.compare == "memory" and s.band is not None]
    assert accuracy_or_memory and all(s.band[0] <= s.verdict.base <= s.band[1] for s in accuracy_or_memory)
