import pytest
import tensorflow as tf

from bench_lib.config.spec import RunSpec
from bench_lib.engine import strategy


def test_mirrored_gets_one_replica_per_logical_device():
    built = strategy.build_strategy(RunSpec(strategy="mirrored", replicas=2))
    assert built.num_replicas_in_sync == 2
    assert strategy.replica_devices(RunSpec(strategy="mirrored", replicas=2)) == [
        "/device:CPU:0",
        "/device:CPU:1",
    ]


def test_one_device_has_one_replica():
    assert strategy.build_strategy(RunSpec()).num_replicas_in_sync == 1


def test_configuring_again_with_enough_devices_is_fine():
    layout = strategy.configure_devices(2)
    assert layout.logical_cpus >= 2


def test_asking_for_more_devices_after_start_names_the_count():
    with pytest.raises(
        RuntimeError, match=r"replicas=8 needs 8 logical CPU devices, but TensorFlow was already initialized with 2"
    ):
        strategy.configure_devices(8)
    with pytest.raises(RuntimeError, match=r"replicas=8 but this process has 2 CPU"):
        strategy.replica_devices(RunSpec(strategy="mirrored", replicas=8))


def test_logical_cpus_share_one_allocator():
    assert strategy.memory_devices(["/device:CPU:0", "/device:CPU:1"]) == ["CPU:0"]
    assert strategy.memory_devices(["/job:localhost/replica:0/task:0/device:GPU:1"]) == ["GPU:1"]


def test_the_cpu_allocator_reports_its_peak():
    assert "peak" in tf.config.experimental.get_memory_info("CPU:0")
