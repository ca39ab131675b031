"""The nightly profile: the quick sizes with fixed thread pools and several processes, recorded in the saved run."""

import dataclasses
import json
import os

import pytest

from bench_lib.engine import threads
from bench_lib.record import fingerprint
from bench_lib.suite.profiles import NIGHTLY, PROFILES, QUICK


def test_nightly_fixes_the_thread_pools_and_runs_several_longer_processes_on_the_quick_grid():
    assert PROFILES["nightly"] is NIGHTLY
    assert (NIGHTLY.intra_op_threads, NIGHTLY.inter_op_threads, NIGHTLY.processes) == (1, 2, 3)
    night, quick = NIGHTLY.sizes("throughput"), QUICK.sizes("throughput")
    assert night.blocks == 3 * quick.blocks and dataclasses.replace(night, blocks=quick.blocks) == quick
    steps = {f.model: f.steps for f in QUICK.sizes("models").families}
    assert {f.model: f.steps for f in NIGHTLY.sizes("models").families} == {m: 4 * s for m, s in steps.items()}
    assert NIGHTLY.sizes("models").models == QUICK.sizes("models").models
    assert NIGHTLY.sizes("batch_size") == QUICK.sizes("batch_size")
    assert (QUICK.intra_op_threads, QUICK.inter_op_threads, QUICK.cpu_affinity) == (None, None, None)
    assert (NIGHTLY.cpu_count, QUICK.cpu_count) == (1, None)  # nightly pinned to one CPU, quick on every CPU


def test_a_cpu_count_pins_the_process_to_the_first_cpus_it_may_use():
    before = os.sched_getaffinity(0)
    try:
        threads.apply(intra_op=None, inter_op=None, cpus=None, cpu_count=1)
        assert os.sched_getaffinity(0) == {min(before)}
        with pytest.raises(ValueError, match="cpu_count=0 is not allowed"):
            threads.apply(intra_op=None, inter_op=None, cpus=None, cpu_count=0)
    finally:
        os.sched_setaffinity(0, before)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"intra_op": 0, "inter_op": None, "cpus": None}, "intra_op_threads=0 is not allowed"),
        ({"intra_op": None, "inter_op": -1, "cpus": None}, "inter_op_threads=-1 is not allowed"),
        ({"intra_op": None, "inter_op": None, "cpus": (10_000,)}, r"cpu_affinity=\(10000,\) is not allowed"),
    ],
)
def test_bad_thread_counts_and_cpus_are_refused_before_anything_is_set(fields, message):
    before = threads.in_effect()
    with pytest.raises(ValueError, match=message):
        threads.apply(**fields)
    assert threads.in_effect() == before


def test_what_is_in_effect_names_the_pools_and_the_cpus_and_a_child_gets_only_fixed_counts():
    now = threads.in_effect()
    assert now["cpu_affinity"] == sorted(os.sched_getaffinity(0))
    fixed = {k for k in ("intra_op_threads", "inter_op_threads") if now[k]}
    assert len(threads.environment()) == len(fixed)


def test_a_saved_suite_run_records_its_threads_and_other_threads_split_a_history(saved_suite):
    machine = json.loads(saved_suite.read_text())["machine_info"]
    assert set(machine["tfbench_threads"]) == {"intra_op_threads", "inter_op_threads", "cpu_affinity"}
    pinned = {**machine, "tfbench_threads": {**machine["tfbench_threads"], "intra_op_threads": 1}}
    assert not fingerprint.same_hardware(machine, pinned)
    assert any(line.startswith("tfbench_threads: ") for line in fingerprint.differences(machine, pinned))
