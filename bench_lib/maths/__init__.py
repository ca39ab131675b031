"""Pure maths both halves share: estimators and figures that need no TensorFlow, no I/O and no formatting of reports.

The TensorFlow side (engine, probes) and the reading side (record, analysis, questions, render,
cli.saved_runs) may both import this package; it imports nothing of bench_lib but config.
"""
