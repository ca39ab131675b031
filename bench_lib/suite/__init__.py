"""The pytest plugin of the benchmark suite: options, profiles, devices, fixtures and the summary.

The repository's conftest.py registers it; `pytest -p bench_lib.suite` does the same elsewhere.
The profile and every override are read once, when pytest starts; devices are configured then
too, before any TensorFlow op, so that mirrored runs find their replicas, and so is the
multi_worker strategy, which TensorFlow allows only before any other op. Under a TF_CONFIG (one
process per worker, e.g. from `python -m bench_lib launch`) every worker runs the same grid in
the same order; single-process configurations run on the chief only, and only the chief saves
or reports anything.

One idea per module; none imports TensorFlow before the options are checked.
"""

pytest_plugins = [
    "bench_lib.suite.options",  # --bench-* options -> the profile
    "bench_lib.suite.startup",  # cluster, devices and signals, once per session
    "bench_lib.suite.grid",  # the `profile` fixture and each benchmark module's grid as `spec`
    "bench_lib.suite.measuring",  # the measure_run and measure_runs_to_target fixtures
    "bench_lib.suite.record",  # what the saved run holds beyond pytest-benchmark's own
    "bench_lib.suite.until_decided",  # after the first pass: seeds added until each comparison is decided
    "bench_lib.suite.summary",  # the end-of-session summary and findings
    "bench_lib.suite.journal",  # each finished configuration appended durably; --bench-resume
    "bench_lib.suite.saving",  # the saved run, written by tfbench in pytest-benchmark's format
    "bench_lib.suite.isolation",  # --bench-isolate: each configuration in a child process
    "bench_lib.suite.interleaving",  # --bench-processes: further processes in passes over the session
    "bench_lib.suite.progress",  # configurations done / total, elapsed and time left
]
