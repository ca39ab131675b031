"""The command line: `tfbench` / `python -m bench_lib` with run, launch, report, compare and trend."""
