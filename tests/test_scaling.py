import pytest

from bench_lib.analysis.scaling import scaling_rows
from bench_lib.config.spec import RunSpec


def result(rate, **fields):
    spec = RunSpec(dataset="synthetic", **fields)
    return {
        "id": spec.id,
        "spec": spec.as_dict(),
        "status": "ok",
        "replicas": spec.replicas,
        "global_batch_size": spec.global_batch_size,
        "examples_per_sec": rate,
    }


def test_strong_and_weak_pairs_are_found_and_nothing_else():
    results = [
        result(1000.0, global_batch_size=128),
        result(1500.0, global_batch_size=256),
        result(1200.0, strategy="mirrored", replicas=2, global_batch_size=256),
        result(9999.0, global_batch_size=128, model="cnn"),  # another model: never a counterpart
        {"id": "broken", "status": "failed", "replicas": 2},
    ]
    rows = {row["kind"]: row for row in scaling_rows(results)}
    assert set(rows) == {"strong", "weak"}
    assert rows["strong"]["one_replica_id"] == "one_device-bs256-acc1-mlp-adam"
    assert rows["strong"]["efficiency"] == pytest.approx(1200 / (2 * 1500))
    assert rows["weak"]["one_replica_id"] == "one_device-bs128-acc1-mlp-adam"
    assert rows["weak"]["efficiency"] == pytest.approx(1200 / (2 * 1000))


def test_no_counterpart_no_row():
    assert scaling_rows([result(1200.0, strategy="mirrored", replicas=2, global_batch_size=64)]) == []


def test_two_workers_pair_with_one_device_whatever_their_all_reduce_settings():
    two_workers = {"strategy": "multi_worker", "workers": 2, "replicas": 2, "collective": "ring"}
    results = [
        result(1000.0, global_batch_size=128),
        result(1500.0, global_batch_size=256),
        result(1800.0, **two_workers, bytes_per_pack=4096, global_batch_size=256),
    ]
    rows = {row["kind"]: row for row in scaling_rows(results)}
    assert rows["strong"]["efficiency"] == pytest.approx(1800 / (2 * 1500))
    assert rows["weak"]["efficiency"] == pytest.approx(1800 / (2 * 1000))
    assert rows["weak"]["id"] == "multi_worker2x1-bs256-acc1-mlp-adam-ring-pack4096"
