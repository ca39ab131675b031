"""tfbench gate-check: BASE against NEW as measured and made slower, with compare's rules, both directions."""

import json
from pathlib import Path

import pytest
import scaled_run

from bench_lib.analysis import gate_check, verdict
from bench_lib.cli.main import main
from bench_lib.cli.saved_runs.gate_check import parse_factors, parse_processes

EXAMPLE_DATA = json.loads(
    (Path(__file__).resolve().parents[1] / "reports" / "example" / "0001_example.json").read_text()
)
TIMED = len(scaled_run.timed(EXAMPLE_DATA))
DEFAULTS = verdict.parse_thresholds("")


def _saved(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def _pair(tmp_path: Path, base: dict, new: dict) -> gate_check.Pair:
    return gate_check.Pair(base, tmp_path / "0001_aa1.json", new, tmp_path / "0002_aa2.json")


def test_two_quiet_runs_of_five_processes_give_nothing_worse_and_a_slower_copy_everything_worse(tmp_path):
    base = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.02, seed=5, processes=5)
    new = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.02, seed=6, processes=5)
    same, slower = gate_check.check(_pair(tmp_path, base, new), (1.2,), DEFAULTS)
    assert (same.factor, same.processes, same.worse, same.better, same.any_worse) == (1.0, None, 0, 0, False)
    assert same.timed == slower.timed == TIMED
    assert slower.factor == 1.2 and slower.worse >= 0.9 * TIMED and slower.any_worse
    assert slower.run_level == "worse" and same.run_level == "same"
    questions = sorted({b["name"].split("[")[0].removeprefix("test_") for b in scaled_run.timed(new)})
    for check in (same, slower):  # question by question, the same counts, each with what its rows could see
        assert sum(q.timed for q in check.by_question) == check.timed
        assert sum(q.worse for q in check.by_question) == check.worse
        assert [q.question for q in check.by_question] == questions
        assert all(q.could_see is not None and 1 < q.could_see[0] <= q.could_see[1] < 1.2 for q in check.by_question)


def test_noisy_runs_of_one_process_see_no_row_of_a_small_slowdown_and_say_so(tmp_path):
    base = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.08, seed=1)
    new = scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.08, seed=2)
    [_, small] = gate_check.check(_pair(tmp_path, base, new), (1.1,), DEFAULTS)
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


def _interleaved(seed: int) -> dict:
    """A run of five processes per configuration in passes, each process spread by 2%, each pass by 0.5%."""
    return scaled_run.scaled(EXAMPLE_DATA, 1.0, jitter=0.02, seed=seed, processes=5, pass_drift=0.005)


def test_a_run_cut_to_its_first_processes_keeps_those_passes_and_with_one_keeps_no_process_medians():
    run = _interleaved(5)
    bench = scaled_run.timed(run)[0]["extra_info"]
    bench["process_passes"] = [0, 2, 1, 4, 3]  # saved in the order the passes ran, whatever it was
    medians = list(bench["process_medians"])
    cut = scaled_run.timed(gate_check.first_processes(run, 2))[0]["extra_info"]
    assert (cut["process_medians"], cut["process_passes"]) == ([medians[0], medians[2]], [0, 1])
    alone = scaled_run.timed(gate_check.first_processes(run, 1))[0]["extra_info"]
    assert "process_medians" not in alone and "process_passes" not in alone
    assert bench["process_medians"] == medians  # the saved run itself is left alone
    with pytest.raises(ValueError, match="processes=0 is not allowed: a whole number >= 1"):
        gate_check.first_processes(run, 0)


def test_fewer_processes_see_less_in_both_directions_and_one_process_falls_back_to_the_floors(tmp_path):
    checks = gate_check.check(_pair(tmp_path, _interleaved(5), _interleaved(6)), (1.1,), DEFAULTS, (1, 3, 5))
    by = {(c.processes, c.factor): c for c in checks}
    assert [c.processes for c in checks] == [1, 1, 3, 3, 5, 5]
    for count in (1, 3, 5):  # unchanged code: no false alarm at any count
        assert (by[count, 1.0].worse, by[count, 1.0].better) == (0, 0)
    assert by[5, 1.1].worse >= 0.9 * TIMED and by[3, 1.1].worse >= 0.9 * TIMED
    one = by[1, 1.1]  # one process a run: each row must pass its kind's fixed floor, which x1.1 does not
    assert one.worse == 0 and one.insensitive == one.timed == TIMED


def test_the_command_judges_each_process_count_and_refuses_a_bad_one(tmp_path, capsys):
    base = _saved(tmp_path, "0001_aa1", _interleaved(5))
    new = _saved(tmp_path, "0002_aa2", _interleaved(6))
    reports = tmp_path / "reports"
    args = ["gate-check", str(base), str(new), "--factors", "1.1", "--reports", str(reports)]
    assert main([*args, "--processes", "1,3"]) == 0
    out = capsys.readouterr().out
    assert "| processes per run | NEW's step times | timed benchmarks |" in out
    assert out.splitlines()[4].endswith(" | by question: worse / timed, could see |")
    assert f"| first 1 | as measured | {TIMED} | 0 (0%) | 0 |" in out and "| first 3 | ×1.1 |" in out
    assert main([*args, "--processes", "0"]) == 2
    assert "--processes='0' is not allowed: '0' is not a whole number >= 1" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["0", "2,x", "1.5", "-1"])
def test_a_process_count_must_be_a_whole_number_of_at_least_one(text):
    with pytest.raises(ValueError, match="--processes="):
        parse_processes(text)


def test_process_counts_read_in_order_and_none_means_what_the_runs_saved():
    assert parse_processes("") == (None,)
    assert parse_processes("3, 1") == (3, 1)


@pytest.mark.parametrize("text", ["", "1.1,x", "1", "inf", "nan"])
def test_a_factor_must_be_a_number_above_one(text):
    with pytest.raises(ValueError, match="--factors="):
        parse_factors(text)


def test_factors_read_in_order():
    assert parse_factors("1.1, 1.2,1.5") == (1.1, 1.2, 1.5)
