"""The profiler trace and the TensorBoard scalars a configuration writes, read back from disk."""

import tensorflow as tf

from bench_lib.engine import observe


def test_a_trace_of_a_few_steps_lands_where_tensorboards_profile_tab_looks(tmp_path):
    counter = tf.Variable(0)
    step = tf.function(lambda: counter.assign_add(1))
    observe.trace_steps(step, tmp_path / "one_device-bs64-acc1-mlp-adam", steps=3)
    assert int(counter.numpy()) == 3
    traces = list((tmp_path / "one_device-bs64-acc1-mlp-adam" / "plugins" / "profile").rglob("*.xplane.pb"))
    assert len(traces) == 1 and traces[0].stat().st_size > 0


def test_scalars_hold_the_learning_curves_at_their_steps_and_the_block_times(tmp_path):
    history = [
        {"epoch": 1, "steps": 10, "train_loss": 2.0, "test_accuracy": 0.5, "examples_per_sec": 900.0},
        {"epoch": 2, "steps": 20, "train_loss": 1.0, "test_accuracy": 0.7, "examples_per_sec": 1000.0},
    ]
    result = {"history": history, "examples_per_sec": 950.0, "optimizer_steps": 20}
    observe.write_scalars(result, tmp_path, block_times_s=[0.002, 0.003])
    seen = {}
    for event_file in tmp_path.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            for value in event.summary.value:
                seen.setdefault(value.tag, []).append((event.step, float(tf.make_ndarray(value.tensor))))
    assert seen["curves/train_loss"] == [(10, 2.0), (20, 1.0)]
    assert [round(v, 6) for _, v in seen["speed/step_time_ms"]] == [2.0, 3.0]
    assert seen["speed/examples_per_sec"] == [(20, 950.0)]
    assert "curves/test_loss" not in seen, "a curve the history lacks is not invented"
