"""The time-to-accuracy question end to end with seeds, in a fresh pytest process: rounds, findings, plot."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import background

ROOT = Path(__file__).resolve().parents[1]


@background.job("seeded_run")
def _seeded_run(folder: Path) -> tuple[subprocess.CompletedProcess, Path, Path]:
    out, plots = folder / "run.json", folder / "plots"
    command = [
        sys.executable, "-m", "pytest", "benchmarks/test_time_to_accuracy.py", "-k", "bs128-", "-q",
        "-p", "no:cacheprovider", "--bench-seeds", "2", "--bench-seeds-until-decided", "0",
        "--bench-target-accuracy", "0.5", f"--bench-plot-dir={plots}",
        f"--benchmark-json={out}",
    ]  # fmt: skip
    return background.run(command, timeout=600, cwd=ROOT), out, plots


@pytest.fixture
def seeded_run():
    return background.wait("seeded_run")


def test_seeds_become_rounds_and_the_session_writes_findings_and_the_plot(seeded_run):
    done, out, plots = seeded_run
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    benchmarks = json.loads(out.read_text())["benchmarks"]
    assert len(benchmarks) == 1
    for bench in benchmarks:
        info = bench["extra_info"]
        assert bench["stats"]["rounds"] == 2, "each round is one seed's whole run"
        assert info["question"] == "time_to_accuracy" and info["seeds"] == [0, 1]
        steps = info["seed_stats"]["steps_to_target"]
        assert len(steps["values"]) == 2 and steps["n"] == 2 and steps["ci95"] is not None
    assert "tfbench findings" in done.stdout
    assert "- time_to_accuracy (test accuracy 0.5 within at most" in done.stdout
    assert (plots / "steps_to_target.png").read_bytes().startswith(b"\x89PNG")
