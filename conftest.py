"""pytest set-up shared by benchmarks/ and tests/: the suite's plugin, bench_lib/suite/.

It adds the --bench-* options and the QUICK/FULL profiles, configures devices before any
TensorFlow op, parametrizes each benchmark module from its grid(profile), provides the
measure_run, measure_runs_to_target, profile and summary_lines fixtures, and prints the summary.
"""

pytest_plugins = ["bench_lib.suite"]
