"""Reading saved runs: selectors, and files that are corrupt, truncated, foreign or of another schema."""

import json
import os

import pytest

from bench_lib.cli.main import main
from bench_lib.record import history


def test_a_real_saved_run_reads_with_its_rounds_and_questions(saved_suite):
    run = history.load_run(saved_suite)
    assert run.name == "0001_tiny" and not run.skipped
    assert {b.question for b in run.benchmarks} == {"batch_size", "accumulation", "throughput"}
    bench = run.by_key()["batch_size/one_device-bs128-acc1-mlp-adam"]
    assert len(bench.rounds_s) == bench.timing["rounds"] == bench.result["timed_steps"]
    # Keys the current suite does not write yet are filled for every reader.
    assert bench.result["workers"] == 1 and bench.result["replicas_per_worker"] == 1
    assert bench.result["seeds"] == [0, 1], "the tiny suite runs --bench-seeds 2"


def test_the_schema_version_read_is_the_one_written():
    from bench_lib.record.result import SCHEMA_VERSION

    assert history.READ_SCHEMA_VERSION == SCHEMA_VERSION


def test_selectors_name_counters_save_names_paths_and_globs(storage):
    (saved,) = storage.glob("*/*.json")
    second = saved.with_name("0002_laptop.json")
    second.write_text(saved.read_text())
    os.utime(second, (saved.stat().st_mtime + 10,) * 2)
    assert history.resolve("1", storage) == [saved]
    assert history.resolve("0002", storage) == [second]
    assert history.resolve("laptop", storage) == [second]
    assert history.resolve(str(storage / "*" / "000*.json"), storage) == [saved, second]
    assert history.saved_files(storage)[-1] == second
    with pytest.raises(history.HistoryError, match=r"^RUN='0007' is not allowed: no such file"):
        history.resolve("0007", storage)


def _broken(saved_suite, tmp_path):
    text = saved_suite.read_text()
    data = json.loads(text)
    foreign = json.loads(text)
    for bench in foreign["benchmarks"]:
        bench["extra_info"] = {}
    future = json.loads(text)
    for bench in future["benchmarks"]:
        bench["extra_info"]["schema_version"] = 99
    files = {
        "truncated.json": (text[: len(text) // 2], "not valid JSON (truncated"),
        "corrupt.json": ("{" + text[1:200] + "\x00garbage" + text[200:], "not valid JSON (corrupt"),
        "other.json": (json.dumps({"results": [1, 2]}), "not a pytest-benchmark file (no 'benchmarks' list)"),
        "single.json": (json.dumps(data["benchmarks"][0]["extra_info"]), "a single `python -m bench_lib run` result"),
        "foreign.json": (json.dumps(foreign), "not a tfbench result (its extra_info has no schema_version)"),
        "future.json": (json.dumps(future), "schema_version=99 is not allowed: this tfbench reads up to 1"),
    }
    for name, (content, _) in files.items():
        (tmp_path / name).write_text(content)
    return {tmp_path / name: message for name, (_, message) in files.items()}


def test_every_unusable_file_is_one_line_naming_it(saved_suite, tmp_path):
    for path, message in _broken(saved_suite, tmp_path).items():
        with pytest.raises(history.HistoryError) as caught:
            history.load_run(path)
        text = str(caught.value)
        assert text.startswith(f"{path}: ") and message in text and "\n" not in text


def test_an_older_result_without_newer_keys_still_reads(saved_suite, tmp_path):
    data = json.loads(saved_suite.read_text())
    for bench in data["benchmarks"]:
        for key in ("tf_peak_mib", "history", "replicas", "error"):
            bench["extra_info"].pop(key)
    data["benchmarks"][0]["extra_info"].pop("spec")
    old = tmp_path / "0001_old.json"
    old.write_text(json.dumps(data))
    run = history.load_run(old)
    assert len(run.benchmarks) == len(data["benchmarks"]) - 1
    assert run.skipped == (f"{old}: {data['benchmarks'][0]['name']}: result lacks spec; skipped",)
    assert all(b.result["history"] == [] and b.result["replicas"] >= 1 for b in run.benchmarks)


def test_report_goes_on_past_bad_files_and_fails_when_the_user_named_one(saved_suite, tmp_path, capsys):
    bad = _broken(saved_suite, tmp_path)
    code = main(["report", str(saved_suite), *map(str, bad), "--reports", str(tmp_path / "reports")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == len(bad)
    for line, path in zip(err, bad, strict=True):
        assert line.startswith(f"python -m bench_lib: warning: {path}: ")
    assert (tmp_path / "reports" / "0001_tiny" / "index.html").is_file()
    assert not (tmp_path / "reports" / "truncated").exists()


def test_a_corrupt_newest_run_is_named_and_fails(storage, tmp_path, capsys):
    (saved,) = storage.glob("*/*.json")
    newest = saved.with_name("0002_cut.json")
    newest.write_text(saved.read_text()[:100])
    os.utime(newest, (saved.stat().st_mtime + 10,) * 2)
    assert main(["report", "--storage", str(storage), "--reports", str(tmp_path / "r")]) == 2
    assert f"{newest}: not valid JSON (truncated" in capsys.readouterr().err
    assert main(["report", "1", "--storage", str(storage), "--reports", str(tmp_path / "r")]) == 0


def test_configurations_saved_under_tfbench_failures_read_with_their_status(saved_suite, tmp_path, capsys):
    data = json.loads(saved_suite.read_text())
    gone = data["benchmarks"].pop()
    failure = {**gone["extra_info"], "status": "oom", "error": "memory_limit_mib=8 exceeded"}
    data["tfbench_failures"] = [{"question": gone["group"].removeprefix("test_"), "name": gone["name"], **failure}]
    new = tmp_path / "0002_oom.json"
    new.write_text(json.dumps(data))
    run = history.load_run(new)
    bench = run.by_key()[f"{gone['group'].removeprefix('test_')}/{gone['extra_info']['id']}"]
    assert bench.result["status"] == "oom" and bench.rounds_s == () and not run.skipped
    # compare reads it too: a configuration that ran out of memory is a regression, not a missing benchmark.
    code = main(["compare", str(saved_suite), str(new), "--reports", str(tmp_path / "reports")])
    out = capsys.readouterr().out
    assert code == 1
    assert "no longer ok" in out and gone["extra_info"]["id"] in out


def test_every_cut_of_a_json_file_is_called_truncated_and_an_insertion_corrupt(tmp_path):
    doc = json.dumps({"a": [1.25, -3, True, None, "xyz", {"b": 1e-5}], "c": "hello world"}, indent=2)
    path = tmp_path / "cut.json"
    for end in range(1, len(doc)):
        path.write_text(doc[:end])
        with pytest.raises(history.HistoryError, match=r"not valid JSON \(truncated: "):
            history.load_run(path)
    path.write_text(doc[:40] + "\x00garbage" + doc[40:])
    with pytest.raises(history.HistoryError, match=r"not valid JSON \(corrupt: "):
        history.load_run(path)


def test_a_max_batch_size_search_reads_as_a_search_and_reaches_the_report(saved_suite, tmp_path):
    data = json.loads(saved_suite.read_text())
    search = {"spec_id": "one_device-bs*-acc1-cnn-adam", "limit_mib": 128, "max_batch_size": 160,
              "min_failing_batch_size": 192, "resolution": 32,
              "trials": [{"global_batch_size": 160, "status": "ok", "tf_peak_mib": 126.5, "error": None}]}  # fmt: skip
    data["benchmarks"].append({**data["benchmarks"][0], "name": "test_max_batch_size", "group": "test_max_batch_size",
                               "extra_info": search})  # fmt: skip
    path = tmp_path / "0003_search.json"
    path.write_text(json.dumps(data))
    run = history.load_run(path)
    assert run.extras == {"max_batch_size": (search,)} and not run.skipped
    assert main(["report", str(path), "--out", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "report.md").read_text()
    assert (
        "| largest batch | one_device-bs*-acc1-cnn-adam: largest global batch within 128 MiB: 160 (192 does not" in text
    )
