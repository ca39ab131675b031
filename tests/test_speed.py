import time

import tensorflow as tf

from bench_lib import speed


def test_the_peak_is_positive_and_measured_once_per_device():
    first = speed.device_peak_gflops("/device:CPU:0", size=256, repeats=2)
    start = time.perf_counter()
    again = speed.device_peak_gflops("/device:CPU:0", size=256, repeats=2)
    assert again == first > 0
    assert time.perf_counter() - start < 0.01, "the second call is the cached figure"


def test_logical_cpus_share_one_peak():
    one = speed.peak_gflops(["/device:CPU:0"])
    assert speed.peak_gflops(["/device:CPU:0", "/device:CPU:1"]) == one


def test_input_time_counts_the_pipeline_work():
    def slow(x):
        time.sleep(0.02)
        return x

    dataset = tf.data.Dataset.range(10_000).map(lambda x: tf.py_function(slow, [x], tf.int64)).batch(1)
    distributed = tf.distribute.OneDeviceStrategy("/cpu:0").experimental_distribute_dataset(dataset)
    assert speed.input_seconds_per_batch(distributed, batches=4) >= 0.02
