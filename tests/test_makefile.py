"""The Makefile takes the newest supported Python on PATH and refuses another one, naming PYTHON=."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make on PATH")


def fake_python(folder: Path, name: str, version: str, runs: bool = True) -> None:
    """A `python3.x` that answers --version, and -c with the real check against `version` (or fails, as an
    inactive pyenv shim does)."""
    major, minor = version.split(".")[:2]
    script = folder / name
    body = f'echo "Python {version}"' if runs else 'echo "pyenv: {name}: command not found" >&2; exit 127'
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "--version" ]; then {body}; exit 0; fi\n'
        + ("" if runs else f"{body}\n")
        + f'if [ "$1" = "-c" ]; then exec python3 -c "import sys; sys.version_info = ({major}, {minor}); $2"; fi\n'
    )
    script.chmod(0o755)


@pytest.fixture
def project(tmp_path):
    for name in ("Makefile", "setup.cfg", "pyproject.toml", "mkdocs.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "bin").mkdir()
    return tmp_path


def make(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{project / 'bin'}:/usr/bin:/bin"}
    env.pop("PYTHON", None)
    return subprocess.run(["make", *args], cwd=project, env=env, capture_output=True, text=True, timeout=60)


def test_the_newest_supported_python_that_runs_is_taken(project):
    fake_python(project / "bin", "python3.13", "3.13.0", runs=False)  # an inactive pyenv shim
    fake_python(project / "bin", "python3.12", "3.12.1")
    fake_python(project / "bin", "python3.11", "3.11.7")
    assert "python3.12 -m venv .venv" in make(project, "-n", "install").stdout


def test_an_unsupported_python_is_refused_naming_the_knob(project):
    fake_python(project / "bin", "python3.10", "3.10.13")
    done = make(project, "install", f"PYTHON={project / 'bin' / 'python3.10'}")
    assert done.returncode != 0
    assert "tfbench needs Python 3.11, 3.12 or 3.13" in done.stdout and "is Python 3.10.13" in done.stdout
    assert "make PYTHON=/path/to/python3.12" in done.stdout
    assert not (project / ".venv").exists()
