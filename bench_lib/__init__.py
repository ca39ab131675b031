"""tfbench: measures how batch size, accumulation, batch norm and tf.distribute strategy change training.

Two halves, each a set of subpackages: the TensorFlow side (config -> engine, probes) trains and
measures; the reading side (record -> analysis -> render) reads saved runs and never imports
TensorFlow. cli and suite sit on top. setup.cfg's import-linter contracts hold these rules.
"""

import os

__version__ = "0.1.0"

# TensorFlow reads this once, while it is imported, so it is set here, before any submodule
# imports TensorFlow. oneDNN's CPU kernels are TensorFlow's default only on CPUs with AVX-512
# VNNI/BF16 or AMX; on others (the AVX2 test machine) Eigen's run instead, and there oneDNN made
# the CNN's step about 3 x faster and the 2048^3 matmul about 1.5 x (docs/performance.md, "The knobs").
# A value the user set wins; if TensorFlow was imported before bench_lib this has no effect.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
# TensorFlow's C++ INFO and WARNING lines (CPU features, tf.data notes) are not this program's
# output; errors still show. A user who wants them sets TF_CPP_MIN_LOG_LEVEL=0. The two start-up
# notices that ignore this level are left out by bench_lib.engine.start_up_notices.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
