"""Computation changes told from saved fingerprints: literal ones, and two saved runs of the tiny suite."""

import copy
import json

from bench_lib.analysis import computation
from bench_lib.cli.main import main
from bench_lib.record.history import Benchmark, SavedRun

BASE = {
    "op_counts": {"MatMul": 5, "BiasAdd": 2, "Relu": 1, "Const": 40, "Sqrt": 8, "AssignSubVariableOp": 4},
    "optimizer": "Adam",
    "optimizer_ops": {"Sqrt": 8, "AssignSubVariableOp": 4, "Const": 30},
    "flops": 53_320_168,
    "output_bytes": 9_029_702,
    "parameters": 101_770,
    "variables": 15,
    "collectives": {},
    "collective_bytes": 0,
    "device_copies": 0,
    "device_copy_bytes": 0,
    "host_device_copies": 0,
    "host_device_copy_bytes": 0,
    "fingerprint_s": 0.02,
}


def changed(**fields) -> dict:
    return {**copy.deepcopy(BASE), **fields, "fingerprint_s": 0.5}


def test_equal_fingerprints_and_missing_ones_tell_nothing():
    assert computation.differences(BASE, changed()) == []  # the seconds it took are not the computation
    assert computation.differences(None, BASE) == computation.differences(BASE, {}) == []


def test_a_dense_layer_more_names_the_ops_and_counts_that_changed():
    deeper = changed(
        op_counts={**BASE["op_counts"], "MatMul": 8, "BiasAdd": 3, "Relu": 2, "AssignSubVariableOp": 6},
        optimizer_ops={**BASE["optimizer_ops"], "AssignSubVariableOp": 6},
        parameters=110_026,
    )
    assert computation.differences(BASE, deeper) == [
        "model ops: MatMul 5→8, BiasAdd 2→3, Relu 1→2",
        "optimizer ops: AssignSubVariableOp 4→6",
        "parameters 101,770→110,026",
    ]


def sgd() -> dict:
    return changed(
        op_counts={"MatMul": 5, "BiasAdd": 2, "Relu": 1, "Const": 11, "AssignSubVariableOp": 4},
        optimizer="SGD",
        optimizer_ops={"AssignSubVariableOp": 4},
        variables=7,
    )


def test_another_optimizer_is_one_optimizer_change_and_bookkeeping_beside_it_is_not_told():
    found = computation.differences(BASE, sgd())
    assert found == ["optimizer Adam→SGD (Sqrt 8→0, Const 30→0)", "variables 15→7"]
    only_bookkeeping = changed(op_counts={**BASE["op_counts"], "Const": 41})
    assert computation.differences(BASE, only_bookkeeping) == ["model ops: Const 10→11"]  # alone, it is told


def test_collectives_and_copies_are_told_with_their_bytes():
    mirrored = changed(collectives={"CollectiveReduceV2": 4}, collective_bytes=407_080, device_copies=11)
    found = computation.differences(BASE, mirrored)
    assert "collectives: CollectiveReduceV2 0→4" in found
    assert "bytes exchanged by collectives 0→407,080" in found and "copies between devices 0→11" in found


def run(name: str, fingerprints: dict[str, dict | None]) -> SavedRun:
    benchmarks = tuple(
        Benchmark(question="q", id=key, result={"status": "ok", "computation": fp}, rounds_s=(), timing={})
        for key, fp in fingerprints.items()
    )
    return SavedRun(path=None, name=name, datetime="", machine={}, commit={}, benchmarks=benchmarks, skipped=())


def test_changed_names_exactly_the_benchmarks_whose_step_changed_and_the_history_finds_each_step():
    first = run("0001", {"a-adam": BASE, "b-adam": BASE, "c-sgd": sgd()})
    second = run("0002", {"a-adam": BASE, "b-adam": sgd(), "c-sgd": sgd(), "d-new": BASE})
    third = run("0003", {"a-adam": BASE, "b-adam": sgd(), "c-sgd": None})
    assert computation.changed(first, first) == []
    found = computation.changed(first, second)
    assert [(c.key, c.base, c.new) for c in found] == [("q/b-adam", "0001", "0002")]
    assert found[0].line() == "`q/b-adam` (0001 → 0002): optimizer Adam→SGD (Sqrt 8→0, Const 30→0); variables 15→7"
    history = computation.changed_in_history([first, second, third])
    assert [(c.key, c.base, c.new) for c in history] == [("q/b-adam", "0001", "0002")]


def test_compare_of_two_saved_tiny_runs_reports_computation_changed_before_the_verdicts(saved_suite, tmp_path, capsys):
    data = json.loads(saved_suite.read_text())
    fingerprinted = [b for b in data["benchmarks"] if (b["extra_info"].get("computation") or {}).get("op_counts")]
    assert fingerprinted, "the suite saves each configuration's computation fingerprint"
    (tmp_path / "0001_a.json").write_text(json.dumps(data))
    (tmp_path / "0002_b.json").write_text(json.dumps(data))
    a_a = ["compare", str(tmp_path / "0001_a.json"), str(tmp_path / "0002_b.json"), "--reports", str(tmp_path)]
    assert main(a_a) == 0
    out = capsys.readouterr().out
    assert "Computation changed" not in out  # an A/A reports none
    adam = [b for b in fingerprinted if b["extra_info"]["id"].endswith("-adam")]
    for bench in adam:  # as if the code built SGD where the configuration asks for Adam
        bench["extra_info"]["computation"] |= {"optimizer": "SGD", "optimizer_ops": {"AssignSubVariableOp": 4}}
    (tmp_path / "0003_sgd.json").write_text(json.dumps(data))
    code = main(["compare", str(tmp_path / "0001_a.json"), str(tmp_path / "0003_sgd.json"), "--reports", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0  # a changed computation is reported, not judged worse
    section = out.split("## Computation changed: ")[1].split("\n**")[0]
    named = {line.split("`")[1] for line in section.splitlines() if line.startswith("- `")}
    assert named == {f"{b['group'].removeprefix('test_')}/{b['extra_info']['id']}" for b in adam}
    assert out.index("## Computation changed") < out.index("| benchmark | metric |")


def test_trend_names_the_run_where_a_benchmarks_computation_changed(saved_suite, tmp_path, capsys):
    data = json.loads(saved_suite.read_text())
    data["benchmarks"] = [b for b in data["benchmarks"] if b["group"] == "test_throughput"][:2]  # fewer plots
    store = tmp_path / ".benchmarks" / "machine"
    store.mkdir(parents=True)
    for minute in range(1, 4):
        data["datetime"] = f"2030-01-01T00:0{minute}:00+00:00"
        if minute == 3:
            data["benchmarks"][0]["extra_info"]["computation"]["parameters"] += 1
        (store / f"000{minute}_night.json").write_text(json.dumps(data))
    args = ["trend", "--storage", str(tmp_path / ".benchmarks"), "--reports", str(tmp_path / "reports")]
    main(args)
    out = capsys.readouterr().out
    key = f"throughput/{data['benchmarks'][0]['extra_info']['id']}"
    assert "## Computation changed: 1 benchmark" in out
    assert f"- `{key}` (0002_night → 0003_night): parameters " in out
