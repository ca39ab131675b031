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


@pytest.mark.parametrize(
    ("replicas", "gpus", "where"), [(1, 0, "CPU"), (2, 0, "CPU"), (1, 1, "GPU"), (2, 2, "GPU"), (2, 4, "GPU")]
)
def test_replicas_run_on_gpus_when_there_are_enough_and_on_logical_cpus_without_any(replicas, gpus, where):
    assert strategy.replica_device_type(replicas, gpus) == where


def test_fewer_gpus_than_replicas_is_skipped_with_the_reason_not_run_on_cpus():
    with pytest.raises(strategy.FewerGpusThanReplicasError, match=r"replicas=2 needs 2 GPUs and this machine has 1"):
        strategy.replica_device_type(2, 1)
    assert issubclass(strategy.FewerGpusThanReplicasError, ValueError)  # what the suite's prepare step skips


def test_a_mirrored_spec_on_one_gpu_does_not_fall_back_to_cpus(monkeypatch):
    real = tf.config.list_logical_devices
    one_gpu = [tf.config.LogicalDevice(name="/device:GPU:0", device_type="GPU")]
    monkeypatch.setattr(tf.config, "list_logical_devices", lambda kind=None: one_gpu if kind == "GPU" else real(kind))
    with pytest.raises(strategy.FewerGpusThanReplicasError):
        strategy.replica_devices(RunSpec(strategy="mirrored", replicas=2))
    assert strategy.replica_devices(RunSpec()) == ["/device:GPU:0"]
