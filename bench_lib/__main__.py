"""Entry point for `python -m bench_lib`."""

import sys

from bench_lib.cli import main

sys.exit(main())
