"""tfbench: measures how batch size, accumulation, batch norm and tf.distribute strategy change training.

Submodules form one pipeline, each importing only those before it:
spec -> strategy -> data -> model -> train -> measure -> result -> runner -> report -> cli.
"""

import os

__version__ = "0.1.0"

# TensorFlow reads this once, while it is imported, so it is set here, before any submodule
# imports TensorFlow. oneDNN's CPU kernels are TensorFlow's default only on CPUs with AVX-512
# VNNI/BF16 or AMX; on others (the AVX2 test machine) Eigen's run instead, and there oneDNN made
# the CNN's step about 3 x faster and the 2048^3 matmul about 1.5 x (README, "The knobs").
# A value the user set wins; if TensorFlow was imported before bench_lib this has no effect.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
