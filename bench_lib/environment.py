"""Sets the two environment defaults TensorFlow must see before it is imported: oneDNN on, C++ notes off.

TensorFlow reads both variables once, while it is imported, so they cannot be passed to it later
with the rest of a run's configuration: bench_lib/__init__.py imports this module before any
submodule can import TensorFlow. Besides the device and TF_CONFIG set-up of a run, this is the
one place that writes os.environ. A value the user set wins; if TensorFlow was imported before
bench_lib, neither default has any effect.

- TF_ENABLE_ONEDNN_OPTS=1: oneDNN's CPU kernels are TensorFlow's default only on CPUs with
  AVX-512 VNNI/BF16 or AMX; on others (AVX2 CPUs) Eigen's run instead, and oneDNN's are faster
  there for most of the suite's steps (docs/performance.md, "The knobs", with the command that
  compares them).
- TF_CPP_MIN_LOG_LEVEL=2: TensorFlow's C++ INFO and WARNING lines (CPU features, tf.data notes)
  are not this program's output; errors still show. A user who wants them sets
  TF_CPP_MIN_LOG_LEVEL=0. The two start-up notices that ignore this level are left out by
  bench_lib.engine.start_up_notices.
"""

import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
