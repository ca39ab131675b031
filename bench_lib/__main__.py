"""Entry point for `python -m bench_lib`."""

import sys

from bench_lib.cli.main import main

sys.exit(main())
