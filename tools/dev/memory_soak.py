"""Host and TensorFlow memory of one process after 5 and after N configurations (default 50).

    PYTHONPATH=. python tools/dev/memory_soak.py [N]

Cycles through the quick profile's kinds of configuration on digits (mlp / mlp_bn / cnn, one_device
and mirrored with 2 replicas, Adam and momentum, accumulation 1 and 4), 3 optimizer steps each, and
prints RSS and TensorFlow's allocator bytes in use after every configuration.
"""

from __future__ import annotations

import gc
import sys

from bench_lib.engine.strategy import configure_devices

MIB = 1024 * 1024


def main(count: int) -> None:
    configure_devices(2)
    import psutil
    import tensorflow as tf

    from bench_lib.config.spec import RunSpec
    from bench_lib.engine import runner

    kinds = [
        RunSpec(model="mlp", global_batch_size=64),
        RunSpec(strategy="mirrored", replicas=2, model="mlp_bn", global_batch_size=64, optimizer="momentum"),
        RunSpec(model="cnn", global_batch_size=64, accumulation_steps=4),
        RunSpec(strategy="mirrored", replicas=2, model="cnn", global_batch_size=128),
    ]
    process = psutil.Process()
    readings = {}
    for i in range(1, count + 1):
        result = runner.run(kinds[i % len(kinds)].replace(steps=3, warmup_steps=0))
        gc.collect()
        rss = process.memory_info().rss / MIB
        tf_current = tf.config.experimental.get_memory_info("CPU:0")["current"] / MIB
        readings[i] = (rss, tf_current)
        line = f"{i:3d} {result.spec.id:36s} {result.status:4s} RSS {rss:7.1f} MiB  TF in use {tf_current:7.2f} MiB"
        print(line, flush=True)
    for i in (5, count):
        print(f"after {i:3d} configurations: RSS {readings[i][0]:.1f} MiB, TF in use {readings[i][1]:.2f} MiB")
    print(
        f"growth from 5 to {count}: RSS {readings[count][0] - readings[5][0]:+.1f} MiB, "
        f"TF {readings[count][1] - readings[5][1]:+.2f} MiB"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
