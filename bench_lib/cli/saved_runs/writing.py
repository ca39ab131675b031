"""Writing a report's folder: all files or none, and only the files an earlier report there made are removed."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bench_lib.record.files import write_all_atomic

MANIFEST = ".tfbench-files.json"


def write_all(folder: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Writes (or replaces) each file atomically, then removes files an earlier report here made and this
    one no longer does — only those listed in the folder's manifest, never anything else."""
    manifest = folder / MANIFEST
    try:
        earlier = set(json.loads(manifest.read_text()))
    except (OSError, ValueError, TypeError):
        earlier = set()
    # All or nothing: a full disk or a read-only folder leaves the earlier report whole.
    write_all_atomic({**{folder / name: data for name, data in files.items()}, manifest: json.dumps(sorted(files))})
    written = [folder / name for name in files]
    for stale in sorted(earlier - set(files)):
        if "/" not in stale and stale != MANIFEST:
            (folder / stale).unlink(missing_ok=True)
    return written


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
