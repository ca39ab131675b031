"""Reproduces the wait between mirrored configurations: a tf.data iterator's autotune thread.

    PYTHONPATH=. python tools/dev/iterator_stall.py [PAIRS]      # default: 6 pairs

Runs `mirrored` on 2 CPU devices, batch 8 then batch 64, 5 epochs on digits, PAIRS times in one
process, and prints each run's seconds: normally ~3-4 s and ~1.5 s on the 2-core test machine.
Now and then a run is seconds to tens of seconds late, all of it inside
keras.backend.clear_session() at the start of prepare(), which destroys the previous run's
iterators (docs/performance.md, "Suite cost"). To see why, attach while a run is late:
`gdb -p PID -batch -ex "thread apply all bt 25"` (the PID is printed first).
"""

from __future__ import annotations

import os
import sys
import time

from bench_lib.engine import strategy

strategy.configure_devices(2)  # before TensorFlow makes its devices

from bench_lib.config.spec import RunSpec  # noqa: E402
from bench_lib.engine import runner  # noqa: E402


def main(pairs: int) -> None:
    print(f"pid {os.getpid()}", flush=True)
    for pair in range(pairs):
        for batch in (8, 64):
            start = time.perf_counter()
            result = runner.run(RunSpec(strategy="mirrored", replicas=2, global_batch_size=batch, epochs=5))
            print(f"pair {pair} batch {batch}: {time.perf_counter() - start:.1f} s ({result.status})", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
