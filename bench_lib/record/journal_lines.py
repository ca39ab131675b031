"""The suite's journal: one JSON line per finished configuration, appended durably while a sweep runs.

The suite writes `<storage>/<machine>/<NAME>.journal.jsonl` beside the run it will save as NAME
(bench_lib.suite.journal). Its first line is a header (save name, start time, machine and commit);
every other line is one finished configuration: its pytest node id, outcome, seconds, the
pytest-benchmark entry it produced (None when it did not finish its rounds) and the tfbench result
dicts it recorded. Each line is written whole and fsynced, so a process that dies leaves at most
one torn last line, which readers drop. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SUFFIX = ".journal.jsonl"
FORMAT = "tfbench-journal"
VERSION = 1


class JournalError(ValueError):
    """A journal that cannot be used; the message is one line naming the file."""


def journal_path(folder: Path, save_name: str) -> Path:
    return Path(folder) / f"{save_name}{SUFFIX}"


def is_journal(path: Path) -> bool:
    return Path(path).name.endswith(SUFFIX)


def header(save_name: str, started: str, machine_info: dict, commit_info: dict) -> dict:
    return {"format": FORMAT, "version": VERSION, "save_name": save_name, "started": started,
            "machine_info": machine_info, "commit_info": commit_info}  # fmt: skip


def entry(*, nodeid: str, outcome: str, seconds: float, benchmark: dict | None, results: list[dict]) -> dict:
    return {"nodeid": nodeid, "outcome": outcome, "seconds": seconds, "benchmark": benchmark, "results": results}


def saved(saved_as: str) -> dict:
    """The line a session that saved a run but did not finish (interrupted, stopped early) ends its journal with."""
    return {"saved_as": saved_as}


def is_saved(path: Path) -> bool:
    """Whether a saved run holds everything the journal does (its last line says where); False if unreadable."""
    try:
        last = Path(path).read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1]
        return "saved_as" in json.loads(last)
    except (OSError, ValueError, TypeError):
        return False


def append(path: Path, record: dict) -> None:
    """Appends one line and fsyncs it; on failure the file is cut back to its previous length.

    Raises:
      OSError: the line could not be written (no space left, read-only, the folder vanished).
    """
    line = (json.dumps(record, allow_nan=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        before = os.fstat(fd).st_size
        try:
            os.write(fd, line)
            os.fsync(fd)
        except OSError:
            os.ftruncate(fd, before)  # no torn line left behind by a full disk
            raise
    finally:
        os.close(fd)
    if before == 0:
        _fsync_folder(path.parent)  # the new file's name is durable too


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path: Path, *, header: bool = True) -> tuple[dict, list[dict]]:
    """The header and the entries of a journal; a torn last line (the process died mid-write) is dropped.
    With header=False the journal has none (an isolated configuration's own) and {} is returned for it.

    Raises:
      JournalError: unreadable, not a journal, or a line other than the last is not JSON.
    """
    try:
        lines = Path(path).read_bytes().decode(errors="replace").split("\n")
    except OSError as error:
        raise JournalError(f"{path}: cannot be read: {error.strerror or error}") from None
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines):  # no newline after it: the write never finished
                break
            raise JournalError(f"{path}: line {number} is not valid JSON (corrupt); not read") from None
    if not header:
        return {}, [r for r in records if isinstance(r, dict) and "nodeid" in r]
    if not records or not isinstance(records[0], dict) or records[0].get("format") != FORMAT:
        raise JournalError(f"{path}: not a tfbench journal (no {FORMAT} header line); not read")
    if (version := records[0].get("version")) != VERSION:
        raise JournalError(f"{path}: journal version={version!r} is not allowed: this tfbench reads {VERSION}")
    return records[0], [r for r in records[1:] if isinstance(r, dict) and "nodeid" in r]


def as_saved_run_data(path: Path) -> dict:
    """The journal in the shape of a saved pytest-benchmark file, marked `tfbench_incomplete`.

    Raises:
      JournalError: see read().
    """
    head, entries = read(path)
    results = [r for e in entries for r in e.get("results") or ()]
    return {
        "machine_info": head.get("machine_info") or {},
        "commit_info": head.get("commit_info") or {},
        "datetime": head.get("started") or "",
        "benchmarks": [e["benchmark"] for e in entries if e.get("benchmark")],
        "tfbench_failures": [r for r in results if r.get("status") != "ok"],
        "tfbench_incomplete": True,
    }
