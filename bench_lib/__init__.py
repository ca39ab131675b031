"""tfbench: measures how batch size, accumulation, batch norm and tf.distribute strategy change training.

Two halves, each a set of subpackages: the TensorFlow side (config -> engine, probes) trains and
measures; the reading side (record -> analysis -> render) reads saved runs and never imports
TensorFlow. cli and suite sit on top. setup.cfg's import-linter contracts hold these rules.
"""

from bench_lib import environment  # noqa: F401  (first: TensorFlow reads its defaults when imported)

__version__ = "0.1.0"
