"""report, compare and trend end to end on a real saved suite run (and copies of it with a crafted slowdown)."""

import copy
import csv
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench_lib import questions
from bench_lib.analysis import findings
from bench_lib.cli.main import main
from bench_lib.record import history

ROOT = Path(__file__).resolve().parents[1]
SCALED_STATS = ("min", "max", "mean", "stddev", "median", "iqr", "q1", "q3", "ld15iqr", "hd15iqr", "total")


def slowed(data: dict, factor: float, question: str) -> dict:
    """A copy of a saved run whose timed rounds of one question take `factor` times as long."""
    data = copy.deepcopy(data)
    for bench in data["benchmarks"]:
        if bench["group"] != f"test_{question}":
            continue
        stats, info = bench["stats"], bench["extra_info"]
        stats["data"] = [t * factor for t in stats["data"]]
        stats.update({k: stats[k] * factor for k in SCALED_STATS})
        stats["ops"] /= factor
        info["examples_per_sec"] /= factor
        info["step_time_ms"] = {k: v * factor for k, v in info["step_time_ms"].items()}
    return data


def save(folder: Path, name: str, data: dict, minutes_later: int = 0) -> Path:
    path = folder / f"{name}.json"
    data = copy.deepcopy(data)
    data["datetime"] = f"2030-01-01T00:{minutes_later:02d}:00+00:00"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(scope="module")
def report_dir(saved_suite, tmp_path_factory) -> Path:
    reports = tmp_path_factory.mktemp("reports")
    assert main(["report", str(saved_suite), "--reports", str(reports)]) == 0
    return reports / "0001_tiny"


def test_the_report_has_every_file_and_a_plot_per_question_and_curve(report_dir):
    names = sorted(p.name for p in report_dir.iterdir())
    pngs = [n for n in names if n.endswith(".png")]
    # batch size and accumulation: figure and learning curves; throughput (synthetic): figure only.
    assert pngs == ["accumulation-curves.png", "accumulation.png", "batch_size-curves.png", "batch_size.png",
                    "throughput.png"]  # fmt: skip
    for name in pngs:
        assert (report_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (report_dir / name).stat().st_size > 10_000
    assert {"report.md", "index.html", "results.csv", "github-action-benchmark-bigger.json"} <= set(names)
    assert not [n for n in names if n.endswith(".tmp")]  # no temporary file left behind


def test_report_md_has_the_machine_and_a_table_per_question_and_strategy(report_dir, saved_suite):
    text = (report_dir / "report.md").read_text()
    machine = json.loads(saved_suite.read_text())["machine_info"]
    assert f"| TensorFlow / Keras / Python | {machine['tensorflow']} / {machine['keras']} /" in text
    assert f"| CPU | {machine['cpu_model']}, " in text
    sections = re.findall(r"^## (.+)$", text, re.M)
    assert sections == [
        "Findings",
        "Batch size (fixed epochs)",
        "Gradient accumulation at a fixed effective batch",
        "Throughput (synthetic data)",
    ]
    assert text.count("**one_device**") == 3 and text.count("**mirrored, 3 replicas**") == 1  # batch size only
    seeded_accuracy = r"(0\.\d{4}) ± 0\.\d{4} \(n=2\)"  # the tiny run has two seeds
    seeded_rate = r"([\d,]+)(?: ± [\d,]+ \(n=2\))?"
    row = re.search(rf"^\| one_device-bs128-acc1-mlp-adam \| {seeded_accuracy} \| {seeded_rate} \| [\d.]+ \| [\d.]+ "
                    r"\| .* \| ok \|$", text, re.M)  # fmt: skip
    assert row, text
    # The report opens with the findings written from the numbers, one line per sentence.
    run = history.load_run(saved_suite)
    results = run.judged_results()
    sentences = findings.findings(results, rules=questions.findings_rules(), family=questions.judged_family(results))
    assert sentences and all(f"\n- {sentence}\n" in text for sentence in sentences)
    assert text.index("## Findings") < text.index("## Batch size")
    # ... led by the table at a glance, whose batch-size row has intervals from the two seeds.
    assert text.index("**Findings at a glance**") < text.index(f"\n- {sentences[0]}\n")
    assert re.search(r"^\| batch_size \| Test accuracy .*\(n=2\).* \| (real|same|undecided) \|$", text, re.M), text


def test_results_csv_has_every_metric_of_every_benchmark(report_dir, saved_suite):
    saved = json.loads(saved_suite.read_text())
    rows = list(csv.DictReader(io.StringIO((report_dir / "results.csv").read_text())))
    assert len(rows) == len(saved["benchmarks"])
    first = next(r for r in rows if r["id"] == "one_device-bs128-acc1-mlp-adam" and r["question"] == "batch_size")
    info = next(b["extra_info"] for b in saved["benchmarks"] if b["name"] == "test_batch_size[" + first["id"] + "]")
    for key in ("test_accuracy", "examples_per_sec", "peak_rss_mib", "tf_peak_mib", "train_loss", "parameters"):
        assert float(first[key]) == pytest.approx(info[key])
    assert float(first["step_time_ms.p90"]) == pytest.approx(info["step_time_ms"]["p90"])
    assert first["spec.global_batch_size"] == "128" and int(first["pytest_benchmark.rounds_saved"]) > 0


def test_github_action_benchmark_exports_both_directions(report_dir, saved_suite):
    bigger = json.loads((report_dir / "github-action-benchmark-bigger.json").read_text())
    smaller = json.loads((report_dir / "github-action-benchmark-smaller.json").read_text())
    benchmarks = json.loads(saved_suite.read_text())["benchmarks"]
    count = len(benchmarks)
    # Synthetic data has no test accuracy (random labels are not evaluated): examples/s only.
    accuracies = sum(b["extra_info"].get("test_accuracy") is not None for b in benchmarks)
    assert 0 < accuracies < count
    assert len(bigger) == count + accuracies and len(smaller) == 3 * count
    assert {e["unit"] for e in bigger} == {"fraction", "examples/s"}
    assert {e["unit"] for e in smaller} == {"ms", "MiB"}
    assert all(set(e) >= {"name", "unit", "value"} and isinstance(e["value"], float) for e in bigger + smaller)
    assert "batch_size/one_device-bs128-acc1-mlp-adam test accuracy" in {e["name"] for e in bigger}


CHECK = """<script>
window.addEventListener("load", () => {
  const images = [...document.images];
  const tables = [...document.querySelectorAll("table")];
  const out = document.createElement("pre");
  out.id = "tfbench-check";
  out.textContent = JSON.stringify({
    images: images.length,
    broken: images.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.alt),
    tables: tables.length,
    empty: tables.filter((t) => t.querySelectorAll("tbody tr").length === 0).length,
  });
  document.body.appendChild(out);
});
</script>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        if os.environ.get("TFBENCH_REQUIRE_BROWSER"):
            pytest.fail("no chromium on PATH, and TFBENCH_REQUIRE_BROWSER is set (.ci/run installs it)")
        pytest.skip("no chromium on PATH: install Debian's `chromium` package to run the browser check")
    return found


def headless(browser: str, *args: str) -> subprocess.CompletedProcess:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
               "--user-data-dir=" + str(Path(args[-1].removeprefix("file://")).parent / "profile"), *args]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_index_html_loads_in_headless_chromium_with_every_image_and_table(report_dir, tmp_path):
    browser = chromium()
    page = (report_dir / "index.html").read_text()
    assert 'src="data:image/png;base64,' in page and "<img" in page  # self-contained: opens from anywhere
    checked = tmp_path / "checked.html"
    checked.write_text(page.replace("</body>", CHECK + "</body>"))
    done = headless(browser, "--virtual-time-budget=10000", "--dump-dom", checked.as_uri())
    found = re.search(r'<pre id="tfbench-check">(.*?)</pre>', done.stdout)
    assert found, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(html.unescape(found.group(1)))
    assert result == {
        "images": 5,
        "broken": [],
        "tables": 7,
        "empty": 0,
    }  # facts + at a glance + batch size x 2 strategies + its scaling (mirrored3 against one_device) + 2
    shot = Path(os.environ.get("TFBENCH_SCREENSHOT", tmp_path / "index.png"))
    done = headless(browser, f"--screenshot={shot}", "--window-size=1400,2200", (report_dir / "index.html").as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", done.stderr[-2000:]
    print(f"screenshot of index.html: {shot}")


def test_compare_finds_a_crafted_slowdown_worst_first_and_exits_1(saved_suite, tmp_path, capsys):
    data = json.loads(saved_suite.read_text())
    base = save(tmp_path, "0001_base", data)
    new = save(tmp_path, "0002_slow", slowed(data, 3.0, "batch_size"))
    reports = tmp_path / "reports"
    assert main(["compare", str(base), str(new), "--reports", str(reports)]) == 1
    out, err = capsys.readouterr()
    assert "WARNING" not in err
    table = [line for line in out.splitlines() if line.startswith("| batch_size/") or line.startswith("| accum")]
    worse = [line for line in table if "| **worse** |" in line]
    # Every batch-size benchmark got slower in time and throughput, nothing else did.
    assert {line.split(" | ")[1] for line in worse} == {"step time (median)", "throughput"}
    assert len(worse) == 2 * sum(b["group"] == "test_batch_size" for b in data["benchmarks"])
    assert table[: len(worse)] == worse  # worst first
    assert all("Mann-Whitney U p=" in line for line in worse)
    assert (reports / "compare-0001_base-vs-0002_slow.md").read_text().strip() in out
    assert (
        main(["compare", str(base), str(new), "--reports", str(reports), "--fail-on", "time:250%,throughput:70%"]) == 0
    )


def test_compare_of_a_run_with_itself_is_all_same_and_exits_0(saved_suite, tmp_path, capsys):
    assert main(["compare", str(saved_suite), str(saved_suite), "--reports", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    count = len(json.loads(saved_suite.read_text())["benchmarks"])
    assert "**0 worse**, 0 better," in out, out[:800]
    assert f" configuration changed over {count} benchmarks in both runs." in out, out[:800]


def test_compare_warns_loudly_about_other_hardware_and_lists_unmatched_benchmarks(saved_suite, tmp_path, capsys):
    data = json.loads(saved_suite.read_text())
    other = copy.deepcopy(data)
    other["machine_info"].update(tensorflow="2.20.0", cpu_model="Other CPU", gpu_names=["NVIDIA A100"])
    dropped = other["benchmarks"].pop()
    base, new = save(tmp_path, "0001_a", data), save(tmp_path, "0002_b", other)
    assert main(["compare", str(base), str(new), "--reports", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "WARNING: the two runs differ in hardware or software:" in err
    for line in ("tensorflow: 2.21.0 -> 2.20.0", 'gpu_names: none -> ["NVIDIA A100"]', "cpu_model: "):
        assert line in err and line in out
    assert f"only in base (1): `{dropped['group'].removeprefix('test_')}/{dropped['extra_info']['id']}`" in out


def test_compare_bad_input_is_one_line_and_exit_2(saved_suite, tmp_path):
    # The reading side never imports TensorFlow: it runs wherever the saved files are.
    script = (
        "import runpy, sys\ncode = 0\ntry:\n    runpy.run_module('bench_lib', run_name='__main__')\n"
        "except SystemExit as e:\n    code = e.code\nprint('tensorflow' in sys.modules)\nsys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "compare", str(saved_suite), "0042", "--storage", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stdout.strip() == "False"
    assert done.stderr.strip().splitlines() == [
        f"python -m bench_lib: warning: RUN='0042' is not allowed: no such file or folder, no glob match, and no "
        f"run with that NNNN counter or save name in {tmp_path}/"
    ]
    assert main(["compare", "a", "b", "--fail-on", "speed:3%"]) == 2


def test_trend_flags_a_step_in_the_newest_run_and_leaves_other_machines_out(saved_suite, tmp_path, capsys):
    data = json.loads(saved_suite.read_text())
    data["benchmarks"] = [b for b in data["benchmarks"] if b["group"] == "test_batch_size"]  # fewer plots to draw
    store = tmp_path / ".benchmarks" / "machine"
    store.mkdir(parents=True)
    stranger = copy.deepcopy(data)
    stranger["machine_info"]["cpu_model"] = "Other CPU"
    save(store, "0001_other", stranger, 1)
    for minute, factor in enumerate((1.0, 1.03, 0.97, 1.01, 1.0), start=2):
        save(store, f"{minute:04d}_night", slowed(data, factor, "batch_size"), minute)
    (store / "0007_broken.json").write_text("{")
    reports = tmp_path / "reports"
    args = ["trend", "--storage", str(tmp_path / ".benchmarks"), "--reports", str(reports)]
    assert main(args) == 0  # the newest run is in line with its history
    save(store, "0008_night", slowed(data, 2.0, "batch_size"), 8)
    capsys.readouterr()
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert "0007_broken.json: not valid JSON (truncated" in err
    assert "- `0001_other`: another machine or set-up (cpu_model: " in out
    worse = [line for line in out.splitlines() if "| **worse** |" in line]
    assert {line.split(" | ")[1] for line in worse} == {"step time (median)", "throughput"}
    assert len(worse) == 2 * len(data["benchmarks"])
    pngs = sorted(p.name for p in (reports / "trend").glob("*.png"))
    assert len(pngs) == len(data["benchmarks"])
    assert "batch_size--one_device-bs128-acc1-mlp-adam.png" in pngs
    assert (reports / "trend" / "trend.md").read_text().count("![") == len(pngs)


def test_a_regenerated_report_removes_only_its_own_stale_plots(saved_suite, tmp_path):
    data = json.loads(saved_suite.read_text())
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.png").write_bytes(b"a user's file")
    assert main(["report", str(saved_suite), "--out", str(out)]) == 0
    data["benchmarks"] = [b for b in data["benchmarks"] if b["group"] == "test_throughput"]
    fewer = save(tmp_path, "0002_fewer", data)
    assert main(["report", str(fewer), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.png")) == ["mine.png", "throughput.png"]
    assert "Batch size" not in (out / "report.md").read_text()


def test_the_thresholds_help_names_the_floors_that_decide_with_one_process_a_run(capsys):
    from bench_lib.analysis import timing_noise

    for command in ("compare", "trend"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert f"x{timing_noise.DEFAULT_NOISE_FACTOR:g} for a configuration timed in blocks" in text
        assert f"x{timing_noise.ACCURACY_RUN_NOISE_FACTOR:g} for one trained for accuracy" in text
        assert "--bench-processes N" in text and "--fail-insensitive" in text
