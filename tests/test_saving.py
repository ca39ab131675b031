"""bench_lib/suite/saving.py: tfbench writes pytest-benchmark's file itself, numbered as pytest-benchmark numbers it."""

import json
import subprocess
import sys

from bench_lib.suite import saving


def test_runs_are_numbered_after_the_highest_number_in_the_folder(tmp_path):
    folder = tmp_path / "machine"
    assert saving.write_numbered(folder, "first", "{}").name == "0001_first.json"
    (folder / "0007_old.json").write_text("{}")
    (folder / "night.journal.jsonl").write_text("")  # not a run
    assert saving.write_numbered(folder, "next", "{}").name == "0008_next.json"
    assert saving.next_number(folder) == 9


def test_a_number_another_session_took_meanwhile_is_skipped(tmp_path, monkeypatch):
    (tmp_path / "0001_b.json").write_text("taken")
    numbers = iter([1, 2])
    monkeypatch.setattr(saving, "next_number", lambda folder: next(numbers))
    assert saving.write_numbered(tmp_path, "b", "{}").name == "0002_b.json"
    assert (tmp_path / "0001_b.json").read_text() == "taken"


def test_pytest_benchmarks_own_compare_reads_the_saved_run(storage):
    """The tiny suite run's file (tests/conftest.py), written by tfbench, and a second one numbered after it."""
    [first] = storage.glob("*/0001_tiny.json")
    data = json.loads(first.read_text())
    second = saving.write_numbered(first.parent, "again", json.dumps(data))
    assert second.name == "0002_again.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest_benchmark", "--storage", f"file://{storage}", "compare", "0001", "0002"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for bench in data["benchmarks"]:
        assert bench["name"] in done.stdout
    assert "Failed to load" not in done.stdout + done.stderr
