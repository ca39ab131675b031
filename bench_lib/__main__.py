"""Entry point for `python -m bench_lib`."""

from bench_lib.cli.main import console

console()
