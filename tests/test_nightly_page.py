"""Runs the `run:` steps of docs/nightly.md's two workflows as written: a nightly run, then a pull-request gate."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bench_lib.analysis.verdict import INSENSITIVE_EXIT

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "nightly.md"
NEEDS_INSTALLING = "make install"  # the test runs in an installed environment
SMALL_QUESTION = "benchmarks/test_precision.py"


def workflows(text: str) -> dict[str, dict]:
    """Each ```yaml block of the page, parsed, by its `name:`."""
    parsed = [yaml.safe_load(block) for block in re.findall(r"^```yaml\n(.*?)^```", text, re.S | re.M)]
    return {w["name"]: w for w in parsed}


def run_steps(workflow: dict) -> list[str]:
    (job,) = workflow["jobs"].values()
    return [step["run"] for step in job["steps"] if "run" in step]


def test_the_page_holds_a_nightly_workflow_and_a_gate():
    found = workflows(PAGE.read_text())
    assert set(found) == {"nightly", "benchmark gate"}
    nightly, gate = found["nightly"], found["benchmark gate"]
    assert "schedule" in nightly[True] and "pull_request" in str(gate[True])  # YAML reads `on:` as True
    assert any("trend" in step for step in run_steps(nightly))
    assert any("compare nightly pr --fail-insensitive" in step for step in run_steps(gate))
    for workflow in (nightly, gate):
        assert workflow["env"]["PROFILE"] == "nightly"
        assert all("--bench-profile $PROFILE" in step for step in run_steps(workflow) if "pytest $BENCH" in step)
    uses = [step.get("uses", "") for step in nightly["jobs"]["track"]["steps"]]
    assert any(u.startswith("benchmark-action/github-action-benchmark") for u in uses)


def _run(step: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    command = step.replace(".venv/bin/python", shlex.quote(sys.executable))
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_the_workflows_steps_run_as_written(tmp_path):
    for name in ("benchmarks", "conftest.py", "setup.cfg", "pyproject.toml"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    found = workflows(PAGE.read_text())
    for workflow, allowed in (("nightly", {}), ("benchmark gate", {"compare": {0, 1, INSENSITIVE_EXIT}})):
        env = {**os.environ, **found[workflow]["env"], "BENCH": SMALL_QUESTION, "PROFILE": "quick",
               "PYTHONPATH": str(ROOT)}  # fmt: skip
        for step in run_steps(found[workflow]):
            if step == NEEDS_INSTALLING:
                continue
            done = _run(step, tmp_path, env)
            word = next((w for w in ("compare", "trend", "report") if f"bench_lib {w}" in step), "")
            assert done.returncode in allowed.get(word, {0}), f"{step}: exit {done.returncode}\n{done.stderr[-3000:]}"
    assert (tmp_path / "reports" / "nightly" / "github-action-benchmark-smaller.json").is_file()
    assert (tmp_path / "reports" / "nightly" / "index.html").is_file()
    assert (tmp_path / "reports" / "trend" / "trend.md").is_file()
    assert list(tmp_path.glob("reports/compare-*_nightly-vs-*_pr.md"))
