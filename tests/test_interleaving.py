"""Further processes in passes over every configuration of the session: order, saved passes, failures, interruption."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench_lib.analysis import timing_noise
from bench_lib.config.spec import RunSpec
from bench_lib.suite import interleaving, processes, stash
from bench_lib.suite.isolation import CHILD_JOURNAL

ROOT = Path(__file__).resolve().parents[1]


def _config(processes=3, child=False):
    options = {CHILD_JOURNAL: "/tmp/child.jsonl" if child else None}
    return SimpleNamespace(stash={stash.PROFILE: SimpleNamespace(processes=processes)},
                           getoption=lambda name, default=None: options.get(name, default))  # fmt: skip


def _ok(median=4.0):
    return {"status": "ok", "step_time_ms": {"median": median}, "warnings": ["unstable"]}


def test_the_saved_keys_are_the_ones_the_analysis_reads():
    assert (interleaving.PROCESS_MEDIANS, interleaving.PROCESS_PASSES) == (
        timing_noise.PROCESS_MEDIANS, timing_noise.PROCESS_PASSES)  # fmt: skip


def test_a_session_queues_the_configuration_and_a_child_runs_its_processes_at_once(monkeypatch):
    spec = RunSpec(dataset="synthetic", steps=2)
    config = _config()
    assert interleaving.queue_or_run(config, "n1", spec, _ok()) == {}
    [queued] = config.stash[interleaving.QUEUE]
    assert (queued.nodeid, queued.medians, queued.passes) == ("n1", [4.0], [0])
    assert interleaving.queue_or_run(_config(processes=1), "n2", spec, _ok()) == {}
    assert interleaving.queue_or_run(config, "n3", spec, {"status": "oom"}) == {}
    assert len(config.stash[interleaving.QUEUE]) == 1

    monkeypatch.setattr(processes, "further_medians_ms", lambda spec, count, peak: [5.0] * count)
    assert interleaving.queue_or_run(_config(child=True), "n4", spec, _ok()) == {"process_medians": [4.0, 5.0, 5.0]}


def test_a_failing_process_in_an_isolated_child_leaves_the_result_with_a_warning(monkeypatch):
    def failing(spec, count, peak_gflops):
        raise RuntimeError(f"{spec.id}: a further process failed: out of memory")

    monkeypatch.setattr(processes, "further_medians_ms", failing)
    spec = RunSpec(dataset="synthetic", steps=2)
    result = _ok()
    assert interleaving.queue_or_run(_config(child=True), "n", spec, result) == {}
    assert result["warnings"][0] == "unstable"
    assert result["warnings"][1].endswith("a further process failed: out of memory")


def _queue(names):
    return [interleaving.Queued(n, RunSpec(dataset="synthetic", steps=2, model="mlp"), None, [1.0], [0])
            for n in names]  # fmt: skip


def test_each_pass_runs_every_configuration_once_in_a_rotated_order_and_saves_each_median_with_its_pass(monkeypatch):
    queued = _queue(["a", "b", "c"])
    ran = []

    def one(spec, peak):
        ran.append(next(q.nodeid for q in queued if q.spec is spec))
        return 2.0 + len(ran)

    for q in queued:  # tell the specs apart by identity
        q.spec = RunSpec(dataset="synthetic", steps=2, model="mlp")
    monkeypatch.setattr(processes, "one_median_ms", one)
    entries = {n: {"extra_info": {}} for n in "abc"}
    said, shown = [], []
    interleaving.run_passes(
        queued, 3, entries, said.append, lambda k, done, total, left: shown.append((k, done, total))
    )
    assert ran == ["b", "c", "a", "c", "a", "b"]
    assert entries["a"]["extra_info"] == {"process_medians": [1.0, 5.0, 7.0], "process_passes": [0, 1, 2]}
    assert said == ["tfbench: further processes, pass 1 of 2: 3 configurations",
                    "tfbench: further processes, pass 2 of 2: 3 configurations"]  # fmt: skip
    assert shown == [(1, 1, 3), (1, 2, 3), (1, 3, 3), (2, 1, 3), (2, 2, 3), (2, 3, 3)]


def test_the_time_left_in_the_passes_is_the_processes_left_at_the_mean_seconds_of_one(monkeypatch):
    queued = _queue(["a", "b"])
    clock = iter(range(0, 100, 5))  # every further process takes 5 s
    monkeypatch.setattr(interleaving.time, "perf_counter", lambda: next(clock))
    monkeypatch.setattr(processes, "one_median_ms", lambda spec, peak: 2.0)
    lefts = []
    interleaving.run_passes(queued, 3, {}, lambda line: None, lambda k, done, total, left: lefts.append(left))
    assert lefts == [15.0, 10.0, 5.0, 0.0]


def test_a_failing_process_drops_that_configurations_medians_and_an_interruption_keeps_the_passes_before_it(
    monkeypatch,
):
    queued = _queue(["a", "b"])
    calls = []

    def one(spec, peak):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("x: a further process failed: out of memory")
        if len(calls) == 3:
            raise KeyboardInterrupt
        return 3.0

    monkeypatch.setattr(processes, "one_median_ms", one)
    entries = {n: {"extra_info": {"warnings": []}} for n in "ab"}
    with pytest.raises(KeyboardInterrupt):
        interleaving.run_passes(queued, 4, entries, lambda line: None)
    # pass 1 ran b (ok) then a (failed); pass 2 (b alone) was interrupted.
    assert "process_medians" not in entries["a"]["extra_info"]
    assert entries["a"]["extra_info"]["warnings"] == ["no process medians: x: a further process failed: out of memory"]
    assert entries["b"]["extra_info"]["process_medians"] == [1.0, 3.0]
    assert entries["b"]["extra_info"]["process_passes"] == [0, 1]


@pytest.mark.slow
def test_a_session_killed_in_its_passes_resumes_them_and_saves_every_process_median(tmp_path):
    """SIGKILL to the session's process group during pass 1 leaves only the journal; --bench-resume runs the
    passes for both configurations and saves three medians each, with their passes."""
    storage = tmp_path / "storage"
    command = [
        sys.executable, "-m", "pytest", "benchmarks/test_throughput.py", "-q", "-p", "no:cacheprovider",
        "-k", "one_device-bs64-acc1-mlp-adam or one_device-bs512-acc1-mlp-adam-spe8",
        "--bench-processes", "3", "--bench-rounds", "2", "--bench-warmup", "1",
        f"--benchmark-storage=file://{storage}", "--benchmark-save=passes",
    ]  # fmt: skip
    environ = {**os.environ, "PYTHONUNBUFFERED": "1"}
    killed = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=environ, start_new_session=True)  # fmt: skip
    output = []
    try:
        for line in killed.stdout:
            output.append(line)
            if line.startswith("tfbench progress: pass 1 of 2, 1/2 further processes done"):
                os.killpg(killed.pid, signal.SIGKILL)
                break
    finally:
        if killed.poll() is None:
            os.killpg(killed.pid, signal.SIGKILL)
        killed.wait(timeout=60)
    said = "".join(output)
    assert "tfbench: further processes, pass 1 of 2: 2 configurations" in said, said[-3000:]
    assert [p.name for p in storage.rglob("*") if p.is_file()] == ["passes.journal.jsonl"], said[-3000:]

    resumed = subprocess.run([*command, "--bench-resume"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert "tfbench: resuming passes: 2 configurations" in resumed.stdout
    assert "tfbench: further processes, pass 2 of 2: 2 configurations" in resumed.stdout
    [saved] = storage.glob("*/0001_passes.json")
    infos = [b["extra_info"] for b in json.loads(saved.read_text())["benchmarks"]]
    assert len(infos) == 2
    for info in infos:
        assert info["process_passes"] == [0, 1, 2] and len(timing_noise.process_medians(info)) == 3
    assert not list(storage.glob("*/*.journal.jsonl")), "a complete run's journal is removed"


def test_a_resumed_session_queues_the_journaled_configurations_that_lack_their_process_medians():
    spec = RunSpec(dataset="synthetic", steps=2).as_dict()
    timed = {"status": "ok", "train_traces": 1, "spec": spec, "step_time_ms": {"median": 2.0}}
    resumed = [
        {"nodeid": "a", "benchmark": {"extra_info": timed}},
        {"nodeid": "b", "benchmark": {"extra_info": {**timed, "process_medians": [2.0, 2.1]}}},
        {"nodeid": "c", "benchmark": {"extra_info": {**timed, "status": "oom"}}},
        {"nodeid": "d", "benchmark": {"extra_info": {k: v for k, v in timed.items() if k != "train_traces"}}},
        {"nodeid": "e", "benchmark": None},
    ]
    [queued] = interleaving.resumed_without_medians(resumed, processes=5)
    assert (queued.nodeid, queued.medians, queued.passes, queued.spec.as_dict()) == ("a", [2.0], [0], spec)
    assert interleaving.resumed_without_medians(resumed, processes=1) == []
