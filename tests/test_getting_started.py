"""Follows docs/getting-started.md's first comparison literally: its commands as printed, in a fresh folder."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "getting-started.md"
SECTION = "## Your first comparison"
VENV_PYTHON = ".venv/bin/python"


def section_commands(text: str, heading: str) -> list[str]:
    """The shell commands of every ```sh block under a heading, up to the next heading of its level."""
    body = text.split(f"\n{heading}\n", 1)[1]
    body = re.split(r"\n## ", body, maxsplit=1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", body, re.S | re.M)
    return [line.strip() for block in blocks for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def test_the_section_holds_two_runs_compare_trend_and_report():
    commands = section_commands(PAGE.read_text(), SECTION)
    assert [c.split()[2] for c in commands] == ["pytest", "pytest", "bench_lib", "bench_lib", "bench_lib"]
    assert [c.split()[3] for c in commands[2:]] == ["compare", "trend", "report"]
    assert all(c.startswith(f"{VENV_PYTHON} -m ") for c in commands)


# Allowed exit statuses: compare exits 1 when a metric is worse, which two runs on a loaded machine may show.
ALLOWED_STATUS = {"compare": {0, 1}}


@pytest.mark.slow
def test_the_first_comparison_runs_as_printed(tmp_path):
    for name in ("benchmarks", "conftest.py", "setup.cfg", "pyproject.toml"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for command in section_commands(PAGE.read_text(), SECTION):
        argv = [sys.executable if word == VENV_PYTHON else word for word in shlex.split(command)]
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
        allowed = ALLOWED_STATUS.get(argv[3] if argv[2] == "bench_lib" else "", {0})
        assert done.returncode in allowed, (
            f"{command}: exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
        if argv[3:4] == ["trend"]:
            assert "needs 3 earlier runs, has 1" in done.stdout  # what the page says trend needs
    saved = sorted(p.name for p in (tmp_path / ".benchmarks").glob("*/*.json"))
    assert saved == ["0001_first.json", "0002_second.json"]  # the names the page gives
    assert (tmp_path / "reports" / "compare-0001_first-vs-0002_second.md").is_file()
    assert (tmp_path / "reports" / "0002_second" / "index.html").is_file()


def test_the_path_without_make_installs_what_make_installs():
    make_extras = re.search(r"pip install --quiet -e '\.\[\$\(TF\),([^\]]*)\]'", (ROOT / "Makefile").read_text())
    page_extras = re.search(r"pip install -e '\.\[cpu,([^\]]*)\]'", section_text(PAGE.read_text(), "### Without make"))
    assert make_extras and page_extras
    assert page_extras.group(1) == make_extras.group(1)


def section_text(text: str, heading: str) -> str:
    return re.split(r"\n#{2,3} ", text.split(f"\n{heading}\n", 1)[1], maxsplit=1)[0]
