"""The program's name as the user invoked it, and a command's one-line error."""

from __future__ import annotations

import sys
from pathlib import Path


def fail(message: str) -> int:
    """Prints the one-line error of a command and returns its exit status, 2."""
    print(f"{program()}: error: {message}", file=sys.stderr)
    return 2


def program() -> str:
    """The program as the user invoked it, for --help and error lines: the console script's name
    `tfbench`, else `python -m bench_lib`."""
    return "tfbench" if Path(sys.argv[0]).name == "tfbench" else "python -m bench_lib"
