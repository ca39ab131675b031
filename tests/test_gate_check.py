"""tfbench gate-check: BASE against NEW as measured and made slower, with compare's rules, both directions."""

import json
from pathlib import Path

import pytest
import scaled_run

from bench_lib.analysis import gate_check, verdict
from bench_lib.cli.main import main
from bench_lib.cli.saved_runs.gate_check import parse_factors
from bench_lib.record import history

EXAMPLE_DATA = json.loads(
    (Path(__file__).resolve().parents[1] / "reports" / "example" / "0001_example.json").read_text()
)
TIMED = len(scaled_run.timed(EXAMPLE_DATA))
DEFAULTS = verdict.parse_thresholds("")


def _saved(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def test_two_quiet_runs_of_five_processes_give_nothing_worse_and_a_slower_copy_everything_worse(tmp_path):
    base = _saved(tmp_path, "0001_aa1", scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.02, seed=5, processes=5))
    new = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.02, seed=6, processes=5)
    same, slower = gate_check.check(history.load_run(base), new, tmp_path / "0002_aa2.json", (1.2,), DEFAULTS)
    assert (same.factor, same.worse, same.better, same.any_worse) == (1.0, 0, 0, False)
    assert same.timed == slower.timed == TIMED
    assert slower.factor == 1.2 and slower.worse >= 0.9 * TIMED and slower.any_worse
    assert slower.run_level == "worse" and same.run_level == "same"


def test_noisy_runs_of_one_process_see_no_row_of_a_small_slowdown_and_say_so(tmp_path):
    base = _saved(tmp_path, "0001_a", scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.08, seed=1))
    new = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.08, seed=2)
    [_, small] = gate_check.check(history.load_run(base), new, tmp_path / "0002_b.json", (1.1,), DEFAULTS)
    assert small.worse < small.timed and small.insensitive > 0


def test_the_command_prints_and_writes_the_table_and_refuses_bad_factors(tmp_path, capsys):
    base = _saved(tmp_path, "0001_aa1", scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.02, seed=5, processes=5))
    new = _saved(tmp_path, "0002_aa2", scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.02, seed=6, processes=5))
    reports = tmp_path / "reports"
    assert main(["gate-check", str(base), str(new), "--factors", "1.1", "--reports", str(reports)]) == 0
    out = capsys.readouterr().out
    assert f"| as measured | {TIMED} | 0 (0%) | 0 |" in out
    assert "| ×1.1 |" in out
    assert (reports / "gate-check-0001_aa1-vs-0002_aa2.md").read_text() in out
    assert main(["gate-check", str(base), str(new), "--factors", "0.9", "--reports", str(reports)]) == 2
    assert "--factors='0.9' is not allowed: '0.9' is not a number > 1" in capsys.readouterr().err
    assert main(["gate-check", str(base), str(tmp_path / "none.json"), "--reports", str(reports)]) == 2


@pytest.mark.parametrize("text", ["", "1.1,x", "1", "inf", "nan"])
def test_a_factor_must_be_a_number_above_one(text):
    with pytest.raises(ValueError, match="--factors="):
        parse_factors(text)


def test_factors_read_in_order():
    assert parse_factors("1.1, 1.2,1.5") == (1.1, 1.2, 1.5)
