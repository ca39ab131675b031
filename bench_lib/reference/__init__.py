"""Holds the reference convergence points measured on this project's machine (convergence.json) and reads them.

tools/dev/reference_points.py writes the file from saved suite runs; bench_lib.analysis.convergence_points
checks runs against it.
"""

from __future__ import annotations

import json
from importlib import resources

FILE = "convergence.json"


def points() -> list[dict[str, object]]:
    """The stored reference points; none when the file is absent."""
    source = resources.files(__package__) / FILE
    if not source.is_file():
        return []
    return list(json.loads(source.read_text())["points"])
