"""`tfbench ab`: options checked before anything runs, the processes alternated, the pairs judged.

The processes here are a stand-in interpreter that writes a `tfbench run` result at once, its step
time scaled by an environment variable; the real command is checked in docs/running/ab.md.
"""

import json
import stat
import sys
from pathlib import Path

import pytest

from bench_lib.cli import ab
from bench_lib.cli.main import main

FAKE = """#!{python}
import json, os, sys
argv = sys.argv[1:]
path = argv[argv.index("--json") + 1]
with open(os.environ["AB_ORDER"], "a") as out:
    out.write(os.environ.get("SIDE", "?") + "\\n")
started = sum(1 for _ in open(os.environ["AB_ORDER"]))
drift = 1 + 0.1 * ((started - 1) // 2 % 3)  # the machine drifts from pair to pair
second = 1.005 if started % 2 == 0 else 0.995  # and the second process of a pair runs a little slower
median = 10.0 * drift * second * float(os.environ.get("FACTOR", "1"))
computation = {{"parameters": int(os.environ.get("PARAMETERS", "100")), "optimizer": "SGD"}}
result = {{"id": "cfg", "status": "ok", "step_time_ms": {{"median": median}}, "computation": computation}}
json.dump(result, open(path, "w"))
"""


@pytest.fixture
def fake_python(tmp_path) -> Path:
    path = tmp_path / "python"
    path.write_text(FAKE.format(python=sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def ab_args(tmp_path, fake_python, *extra):
    return [
        "ab", "--base-python", str(fake_python), "--new-python", str(fake_python), "--base-env", "SIDE=base",
        "--new-env", "SIDE=new", "--reports", str(tmp_path / "reports"), "--pairs", "4", *extra,
        "--", "run", "--model", "mlp",
    ]  # fmt: skip


def test_the_sides_alternate_base_first_then_new_first():
    assert ab.order(3) == [(0, "base"), (0, "new"), (1, "new"), (1, "base"), (2, "base"), (2, "new")]


def test_the_same_environment_on_both_sides_gives_nothing_worse(tmp_path, fake_python, monkeypatch, capsys):
    monkeypatch.setenv("AB_ORDER", str(tmp_path / "order"))
    assert main(ab_args(tmp_path, fake_python)) == 0
    assert (tmp_path / "order").read_text().split() == ["base", "new", "new", "base"] * 2
    out = capsys.readouterr().out
    assert "**0 worse**, 0 better, 1 same, 0 unknown over 1 benchmark" in out
    assert "Computation changed" not in out
    saved = json.loads((tmp_path / "reports" / "ab-ab" / "ab.json").read_text())
    assert len(saved["times_ms"]["base"]) == 4 and saved["verdicts"][0]["verdict"] == "same"
    assert (tmp_path / "reports" / "ab-ab" / "base-1.json").is_file()  # each side's result, as `run` writes it


def test_a_slower_new_side_is_worse_and_exits_1(tmp_path, fake_python, monkeypatch, capsys):
    monkeypatch.setenv("AB_ORDER", str(tmp_path / "order"))
    assert main(ab_args(tmp_path, fake_python, "--new-env", "FACTOR=1.1")) == 1
    out = capsys.readouterr().out
    assert "| cfg | +" in out and "| **worse** |" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--pairs", "1"], "--pairs=1 is not allowed: a whole number >= 2"),
        (["--base-env", "1X=2"], "--base-env='1X=2' is not allowed: write NAME=VALUE"),
        (["--new-python", "/no/such/python"], "--new-python='/no/such/python' is not allowed"),
        (["--base-dir", "/no/such/checkout"], "--base-dir='/no/such/checkout' is not allowed: an existing folder"),
        (["--name", "a/b"], "--name='a/b' is not allowed"),
    ],
)
def test_bad_options_are_one_line_and_exit_2_before_anything_runs(tmp_path, extra, message, capsys):
    assert main(["ab", "--reports", str(tmp_path), *extra, "--", "run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not (tmp_path / "ab-ab").exists()


def test_no_command_after_the_separator_is_refused(capsys):
    assert main(["ab"]) == 2
    assert "ab needs a command after --" in capsys.readouterr().err


def test_a_failing_process_is_one_line_and_exit_2(tmp_path, capsys):
    failing = tmp_path / "python"
    failing.write_text(f"#!{sys.executable}\nraise SystemExit(3)\n")
    failing.chmod(0o755)
    code = main(["ab", "--base-python", str(failing), "--reports", str(tmp_path), "--pairs", "2", "--", "run"])
    assert code == 2
    assert "base pair 1 exited with 3; see " in capsys.readouterr().err


def test_a_side_that_computes_something_else_is_named_before_the_verdicts(tmp_path, fake_python, monkeypatch, capsys):
    monkeypatch.setenv("AB_ORDER", str(tmp_path / "order"))
    assert main(ab_args(tmp_path, fake_python, "--new-env", "PARAMETERS=120")) == 0
    out = capsys.readouterr().out
    assert "## Computation changed: 1 benchmark" in out and "- `cfg` (base → new): parameters 100→120" in out
    assert out.index("Computation changed") < out.index("**0 worse**")
