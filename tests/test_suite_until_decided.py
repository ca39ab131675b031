"""Seeds until decided in a real session, in a fresh pytest process: time to accuracy's two ends, 2 seeds, cap 4."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import background

ROOT = Path(__file__).resolve().parents[1]


@background.job("decided_run")
def _decided_run(folder: Path) -> tuple[subprocess.CompletedProcess, Path]:
    out = folder / "run.json"
    command = [
        sys.executable, "-m", "pytest", "benchmarks/test_time_to_accuracy.py", "-k", "bs16- or bs1024-", "-q",
        "-p", "no:cacheprovider", "--bench-seeds", "2", "--bench-seeds-until-decided", "4", f"--benchmark-json={out}",
    ]  # fmt: skip
    return background.run(command, timeout=600, cwd=ROOT), out


@pytest.fixture
def decided_run():
    return background.wait("decided_run")


@pytest.mark.slow
def test_added_seeds_are_saved_like_the_first_ones_and_the_finding_names_the_cap(decided_run):
    done, out = decided_run
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    infos = [bench["extra_info"] for bench in json.loads(out.read_text())["benchmarks"]]
    assert len(infos) == 2
    seeds = {len(info["seeds"]) for info in infos}
    assert len(seeds) == 1 and 2 <= seeds.pop() <= 4, "both sides of the one comparison grow together"
    for bench, info in zip(json.loads(out.read_text())["benchmarks"], infos, strict=True):
        assert info["seeds_until_decided"] == {"first": 2, "cap": 4}
        assert info["spec"]["seeds"] == len(info["seeds"]) == len(info["seed_stats"]["steps_to_target"]["values"])
        assert bench["stats"]["rounds"] == 2, "the timed rounds are the first pass's"
    added = len(infos[0]["seeds"]) > 2
    assert ("tfbench: seeds until decided:" in done.stdout) == added
    assert "seeds of at most 4" in done.stdout, "the verdict names the cap, decided or not"
    assert "multiplied by its planned looks (cap − first values + 1: ×3)" in done.stdout, "the rule names the looks"
    assert not json.loads(out.read_text()).get("tfbench_failures"), "each configuration saved once, as a result"
