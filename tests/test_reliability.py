"""What survives what: the journal, --bench-resume, --bench-isolate, progress, and a full, read-only
or non-creatable destination for every command that writes."""

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from bench_lib.cli.main import main
from bench_lib.record import history, journal_lines
from bench_lib.record.files import write_atomic
from bench_lib.suite import isolation, progress, startup

import background

ROOT = Path(__file__).resolve().parents[1]


# --- the journal ------------------------------------------------------------------------------


def _journal(folder: Path, entries: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = journal_lines.journal_path(folder, "night")
    journal_lines.append(path, journal_lines.header("night", "2025-01-01T00:00:00", {"cpu_model": "x"}, {}))
    for entry in entries:
        journal_lines.append(path, entry)
    return path


def test_a_torn_last_line_is_dropped_and_a_corrupt_earlier_line_is_named(tmp_path):
    entry = journal_lines.entry(nodeid="b.py::t[a]", outcome="passed", seconds=1.5, benchmark=None, results=[])
    path = _journal(tmp_path, [entry, {**entry, "nodeid": "b.py::t[b]"}])
    text = path.read_text()
    path.write_text(text[: len(text) - 20])  # the process died in the middle of the last write
    _, entries = journal_lines.read(path)
    assert [e["nodeid"] for e in entries] == ["b.py::t[a]"]
    lines = text.splitlines()
    path.write_text("\n".join([lines[0], lines[1][:30], lines[2]]) + "\n")
    with pytest.raises(journal_lines.JournalError, match=r"night.journal.jsonl: line 2 is not valid JSON \(corrupt\)"):
        journal_lines.read(path)


def test_an_unfinished_sweeps_journal_reads_as_an_incomplete_run_for_report_and_compare(saved_suite, tmp_path):
    data = json.loads(saved_suite.read_text())
    folder = tmp_path / "storage" / "machine"
    entries = [
        journal_lines.entry(nodeid=b["fullname"], outcome="passed", seconds=2.0, benchmark=b,
                      results=[{"question": b["group"].removeprefix("test_"), **b["extra_info"]}])
        for b in data["benchmarks"][:2]
    ]  # fmt: skip
    _journal(folder, entries)
    [path] = history.resolve("night", tmp_path / "storage")
    run = history.load_run(path)
    assert run.incomplete and len(run.benchmarks) == 2
    assert main(["report", "night", "--storage", str(tmp_path / "storage"), "--out", str(tmp_path / "r")]) == 0
    assert (
        "| incomplete | read from the journal of a sweep that never saved its run"
        in (tmp_path / "r" / "report.md").read_text()
    )


# --- isolation: how a child process ended -----------------------------------------------------


@pytest.mark.parametrize(
    ("code", "timeout", "status", "cause"),
    [
        ("import os; os.abort()", None, "crashed", "the child process ended by SIGABRT"),
        ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", None, "crashed", "ended by SIGSEGV"),
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", None, "killed", "ended by SIGKILL"),
        ("import time; time.sleep(60)", 0.5, "timeout", "still running after --bench-timeout; killed"),
        ("print('fine')", None, "ok", "exited with 0"),
    ],
)
def test_a_child_that_dies_or_hangs_gets_its_status(tmp_path, code, timeout, status, cause):
    child = isolation.run_child([sys.executable, "-c", code], tmp_path / "none.jsonl", timeout)
    assert child.status == status
    assert cause in child.cause
    assert child.entries == ()


# --- progress ---------------------------------------------------------------------------------


def test_time_left_prices_remaining_work_at_the_measured_seconds_per_example():
    spec = {"dataset": "digits", "global_batch_size": 100, "seeds": 1}
    done = [progress.Finished(10.0, ({"spec": {**spec, "epochs": 2, "steps": None}, "global_batch_size": 100,
                                      "optimizer_steps": 20, "status": "ok"},))]  # fmt: skip
    # 1,000 examples an epoch were seen; 2,000 took 10 s, so 5 ms each.
    remaining = [{**spec, "epochs": 4, "steps": None}, {**spec, "steps": 10}, {**spec, "dataset": "mnist", "epochs": 1}]
    # 4,000 examples -> 20 s; 1,000 examples -> 5 s; mnist's epoch not known yet -> the mean, 10 s.
    assert progress.seconds_left(done, remaining) == pytest.approx(35.0)
    assert progress.seconds_left([], remaining) is None
    assert progress.progress_line(3, 75, 725, 6000) == (
        "tfbench progress: 3/75 configurations done, 12 min 05 s elapsed, about 1 h 40 min left"
    )


def test_time_left_prices_the_further_processes_of_every_timed_configuration_on_one_worker():
    spec = {"dataset": "synthetic", "global_batch_size": 100, "seeds": 1, "steps": 10, "workers": 1}
    ok = {"spec": spec, "global_batch_size": 100, "optimizer_steps": 10, "status": "ok", "step_time_ms": {"median": 1}}
    done = [
        progress.Finished(10.0, (ok,)),  # timed: 4 further processes of 10 s each
        progress.Finished(10.0, ({**ok, "status": "failed"},)),  # failed: not queued
        progress.Finished(10.0, ({**ok, "spec": {**spec, "workers": 2}},)),  # a cluster's: not queued
    ]
    remaining = [spec, {**spec, "workers": 2}]  # 10 s each at 1 ms an example; the first runs 4 more
    assert progress.seconds_left(done, remaining) == pytest.approx(20.0)
    assert progress.seconds_left(done, remaining, further_passes=4) == pytest.approx(20.0 + 4 * (10.0 + 10.0))
    # Each of the two queued configurations' further processes also pays a fresh process's 5 s start-up.
    assert progress.seconds_left(done, remaining, 4, start_up_s=5.0) == pytest.approx(
        20.0 + 4 * (10.0 + 10.0 + 2 * 5.0)
    )
    assert progress.pass_line(2, 4, 1, 21, 725, 300) == (
        "tfbench progress: pass 2 of 4, 1/21 further processes done, 12 min 05 s elapsed, about 5 min 00 s left"
    )


# --- a sweep killed with SIGKILL, resumed with a crashing configuration isolated ----------------


class Sweep(NamedTuple):
    storage: Path
    killed_files: list[str]
    killed_output: str
    resumed_code: int
    resumed_output: str


def _sweep(storage: Path, *options: str) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "pytest", "benchmarks/test_batch_size.py", "-k", "not fixed and not equal_convergence",
        "-p", "no:cacheprovider",
        "-p", "planted_faults", "--bench-strategies", "one_device", "--bench-batch-sizes", "64,128,256",
        "--bench-rounds", "2", "--bench-warmup", "1", f"--benchmark-storage=file://{storage}",
        "--benchmark-save=night", "--benchmark-save-data", "--bench-seeds-until-decided", "0", *options,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TFBENCH_PLANTED_ABORT": "bs128",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    return background.popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


@background.job("killed_sweep")
def _killed_sweep(storage: Path) -> Sweep:
    """SIGKILL once the first configuration is done; then --bench-resume --bench-isolate, bs128 aborting."""
    running, output = _sweep(storage), []
    for line in running.stdout:
        output.append(line)
        if line.startswith("tfbench progress: 1/3"):
            os.killpg(running.pid, signal.SIGKILL)
            break
    output.append(running.stdout.read())
    running.wait(timeout=60)
    background.forget(running)
    files = sorted(p.relative_to(storage).as_posix() for p in storage.rglob("*") if p.is_file())
    export = f"--benchmark-json={storage / 'run.json'}"
    resumed = _sweep(storage, "--bench-resume", "--bench-isolate", "--bench-timeout", "600", export)
    resumed_output, _ = resumed.communicate(timeout=600)
    background.forget(resumed)
    return Sweep(storage, files, "".join(output), resumed.returncode, resumed_output)


@pytest.fixture(scope="module")
def killed_sweep() -> Sweep:
    return background.wait("killed_sweep")


def test_sigkill_mid_sweep_keeps_the_journal_and_resume_saves_every_configuration_once(killed_sweep):
    assert [f.rsplit("/", 1)[-1] for f in killed_sweep.killed_files] == ["night.journal.jsonl"], (
        killed_sweep.killed_output
    )
    assert "tfbench: resuming night: 1 configuration from" in killed_sweep.resumed_output
    [saved] = killed_sweep.storage.glob("*/0001_night.json")
    data = json.loads(saved.read_text())
    ok = [b["extra_info"]["id"] for b in data["benchmarks"]]
    failed = [f["id"] for f in data["tfbench_failures"]]
    ids = ["one_device-bs64-acc1-mlp-adam", "one_device-bs128-acc1-mlp-adam", "one_device-bs256-acc1-mlp-adam"]
    assert sorted(ok + failed) == sorted(ids), "every configuration exactly once"
    assert all(len(b["stats"]["data"]) == b["stats"]["rounds"] == 2 for b in data["benchmarks"])
    assert not list(killed_sweep.storage.glob("*/*.journal.jsonl")), "a complete run's journal is removed"


def test_an_isolated_configuration_that_aborts_is_recorded_crashed_and_the_sweep_goes_on(killed_sweep):
    assert killed_sweep.resumed_code == 1, killed_sweep.resumed_output  # the crashed configuration's test failed
    assert "one_device-bs128-acc1-mlp-adam: crashed: the child process ended by SIGABRT" in killed_sweep.resumed_output
    [saved] = killed_sweep.storage.glob("*/0001_night.json")
    data = json.loads(saved.read_text())
    assert [(f["id"], f["status"]) for f in data["tfbench_failures"]] == [("one_device-bs128-acc1-mlp-adam", "crashed")]
    assert "one_device-bs256-acc1-mlp-adam" in [b["extra_info"]["id"] for b in data["benchmarks"]]


def test_a_resumed_run_that_ran_nothing_itself_still_writes_benchmark_json(killed_sweep):
    [saved] = killed_sweep.storage.glob("*/0001_night.json")
    written = json.loads((killed_sweep.storage / "run.json").read_text())
    saved_ids = [b["extra_info"]["id"] for b in json.loads(saved.read_text())["benchmarks"]]
    assert [b["extra_info"]["id"] for b in written["benchmarks"]] == saved_ids
    assert written["commit_info"] and all(b["stats"]["data"] for b in written["benchmarks"])


def test_progress_is_plain_lines_in_a_log_and_counts_journaled_configurations_after_resume(killed_sweep):
    lines = [line for line in killed_sweep.resumed_output.splitlines() if line.startswith("tfbench progress:")]
    assert [line.split(",")[0] for line in lines] == [
        "tfbench progress: 2/3 configurations done",
        "tfbench progress: 3/3 configurations done",
    ]
    assert "left" in lines[0] and "not known yet" not in lines[0], "the journal's times price the rest"


def test_a_crash_after_the_run_was_saved_leaves_no_journal_behind(tmp_path):
    storage = tmp_path / "storage"
    command = [
        sys.executable, "-m", "pytest", "benchmarks/test_batch_size.py", "-k", "bs64 and not fixed and not equal",
        "-p", "no:cacheprovider", "-p", "planted_faults", "--bench-strategies", "one_device", "--bench-batch-sizes",
        "64", "--bench-rounds", "2", "--bench-warmup", "1", f"--benchmark-storage=file://{storage}",
        "--benchmark-save=crash",
    ]  # fmt: skip
    env = {**os.environ, "TFBENCH_PLANTED_SUMMARY_CRASH": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode != 0 and "planted: a crash after the run was saved" in done.stdout + done.stderr
    assert [p.name for p in storage.glob("*/*")] == ["0001_crash.json"], done.stdout[-3000:]
    assert main(["report", "--storage", str(storage), "--out", str(tmp_path / "r")]) == 0
    assert len(history.resolve("crash", storage)) == 1, "one run, no journal read as a second one"


# --- environment faults: a full disk, a read-only or non-creatable folder -----------------------


def _mount(folder: Path, *options: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs holding an earlier report, then filled to the last byte."""
    disk = tmp_path / "disk"
    _mount(disk)
    try:
        (disk / "report").mkdir()
        (disk / "report" / "report.md").write_text("the earlier report")
        with open(disk / "filler", "wb", buffering=0) as f, pytest.raises(OSError, match="No space left"):
            while True:
                f.write(b"x" * 512)
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.fixture
def read_only_disk(tmp_path):
    disk = tmp_path / "ro"
    _mount(disk)
    try:
        (disk / "report").mkdir()
        (disk / "report" / "report.md").write_text("the earlier report")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_a_full_disk_is_one_line_and_leaves_the_earlier_report_whole(saved_suite, small_disk, capsys):
    before = _files(small_disk)
    assert main(["report", str(saved_suite), "--out", str(small_disk / "report")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f": error: cannot write {small_disk}/report/" in err[0]
    assert err[0].endswith(": No space left on device")
    assert _files(small_disk) == before, "no temporary file is left"
    assert (small_disk / "report" / "report.md").read_text() == "the earlier report"
    for command in (["compare", str(saved_suite), str(saved_suite)], ["trend", str(saved_suite)]):
        assert main([*command, "--reports", str(small_disk / "report")]) == 2
        assert capsys.readouterr().err.strip().endswith(": No space left on device")
        assert _files(small_disk) == before
    with pytest.raises(OSError, match="No space left") as error:  # run --json writes through the same function
        write_atomic(small_disk / "result.json", "{}" * 10_000)
    assert error.value.filename == str(small_disk / "result.json") and _files(small_disk) == before
    night = small_disk / "report" / "night.journal.jsonl"  # a journal line the disk cannot take is not half written
    night.write_text("")
    with pytest.raises(OSError, match="No space left"):
        journal_lines.append(night, {"nodeid": "x" * 100_000})
    assert night.read_text() == ""


def test_a_read_only_or_non_creatable_destination_is_refused_before_reading(saved_suite, read_only_disk, capsys):
    for command in (["report", str(saved_suite), "--out"], ["compare", "a", "b", "--reports"], ["trend", "--reports"]):
        assert main([*command, str(read_only_disk / "report")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.endswith(f"is not allowed: the folder {read_only_disk}/report is not writable"), err
    assert (read_only_disk / "report" / "report.md").read_text() == "the earlier report"
    a_file = read_only_disk / "report" / "report.md"
    assert main(["report", str(saved_suite), "--out", str(a_file / "sub")]) == 2
    assert capsys.readouterr().err.strip().endswith(f"{a_file} is a file, not a folder")


def test_a_suite_whose_storage_is_read_only_stops_with_one_line_before_tensorflow(read_only_disk):
    command = [sys.executable, "-m", "pytest", "benchmarks/test_batch_size.py", "-p", "no:cacheprovider",
               f"--benchmark-storage=file://{read_only_disk}/storage", "--benchmark-save=night"]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"Exit: tfbench: --benchmark-storage: cannot save into {read_only_disk}/storage/"
        f"{_machine_id()}: {read_only_disk} is not writable (read-only file system or permissions)"
    )
    assert "Traceback" not in done.stderr + done.stdout


def _machine_id() -> str:
    from pytest_benchmark.utils import get_machine_id

    return get_machine_id()


_REPORT_AS_NOBODY = """
import os, sys
from bench_lib.cli.main import main
from bench_lib.record import files  # imported before the user changes: it cannot read the interpreter's folder
os.setegid(65534)
os.seteuid(65534)
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture
def open_folder():
    """A folder every user may open, as the folders above it (pytest's own tmp_path is private to its user)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="tfbench-test-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_an_out_folder_whose_parent_cannot_be_opened_is_one_line_naming_it(open_folder):
    """As a user who may not open the folder (root opens any: the command then runs as nobody)."""
    locked = open_folder / "locked"
    (locked / "inner").mkdir(parents=True)
    locked.chmod(0o700 if os.geteuid() == 0 else 0o000)
    arguments = ["report", "--storage", str(open_folder / "storage"), "--out", str(locked / "inner" / "r")]
    try:
        if os.geteuid() == 0:
            done = subprocess.run([sys.executable, "-c", _REPORT_AS_NOBODY, *arguments], capture_output=True,
                                  text=True, cwd=ROOT, timeout=120)  # fmt: skip
            code, err = done.returncode, done.stderr
        else:
            code, err = _main_and_stderr(arguments)
    finally:
        locked.chmod(0o755)
    assert code == 2, err
    [line] = err.strip().splitlines()
    assert line.endswith(
        f": error: --out={str(locked / 'inner' / 'r')!r} is not allowed: "
        f"the folder {locked} cannot be opened (permissions)"
    )


def _main_and_stderr(arguments: list[str]) -> tuple[int, str]:
    import io
    from contextlib import redirect_stderr

    err = io.StringIO()
    with redirect_stderr(err):
        code = main(arguments)
    return code, err.getvalue()


def test_a_storage_folder_that_vanished_is_one_line_for_every_reading_command(tmp_path, capsys):
    gone = tmp_path / "gone"
    for command in (["report"], ["trend"], ["compare", "1", "2"]):
        assert main([*command, "--storage", str(gone), "--reports", str(tmp_path / "r")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and str(gone) in err[0], err
    assert not (tmp_path / "r").exists()


def test_a_child_gets_every_tfbench_option_given_but_the_sessions_own(tmp_path, pytestconfig):
    import argparse
    from types import SimpleNamespace

    # This session's options (the suite's plugin is loaded here), with some given on top.
    given = {"bench_verbose": True, "bench_deterministic": True, "bench_rounds": "3", "bench_isolate": True,
             "bench_timeout": "60", "bench_resume": True, "benchmark_save": "night"}  # fmt: skip
    config = SimpleNamespace(
        option=argparse.Namespace(**{**vars(pytestconfig.option), **given}), invocation_params=SimpleNamespace(args=())
    )
    command = isolation.child_command(config, "benchmarks/test_x.py::test_x[a]", tmp_path / "child.jsonl")
    assert {"--bench-profile=quick", "--bench-verbose", "--bench-deterministic", "--bench-rounds=3"} <= set(command)
    assert not [a for a in command if a.startswith(("--bench-isolate", "--bench-timeout", "--bench-resume"))]
    assert not [a for a in command if a.startswith("--benchmark")], "a child saves nothing"
    assert command[-1] == f"--bench-child-journal={tmp_path / 'child.jsonl'}"
    assert command.count(command[-1].split("=")[0] + "=" + str(tmp_path / "child.jsonl")) == 1


def test_an_interrupt_swallowed_by_a_finalizer_is_raised_again_at_the_next_step(monkeypatch):
    monkeypatch.setattr(startup, "_interrupted_by", [])
    startup.raise_if_interrupted()  # nothing arrived: goes on
    with contextlib.suppress(KeyboardInterrupt):
        startup._interrupt(signal.SIGINT, None)  # as if raised inside a weakref callback, and lost
    with pytest.raises(KeyboardInterrupt, match="signal SIGINT"):
        startup.raise_if_interrupted()
