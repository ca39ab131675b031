"""Saves the run in pytest-benchmark's file format: tfbench writes the file itself, atomically.

When the session starts, tfbench takes pytest-benchmark's --benchmark-save, --benchmark-autosave
and --benchmark-json over (pytest-benchmark itself then saves nothing). At the end it writes the
same file pytest-benchmark would — `<storage>/<machine>/NNNN_NAME.json`, numbered one after the
highest number there, so pytest-benchmark's `compare` and tfbench's readers find it as before —
through a temporary file, so a full disk or a crash never leaves half a file. The file's header
comes from pytest-benchmark's own hooks (pytest_benchmark_generate_json, _machine_info,
_commit_info), so a conftest.py's pytest_benchmark_update_* hooks still apply; its benchmarks are
the configurations' journal entries (bench_lib.suite.journal): those an earlier session journaled
(--bench-resume), then this session's in the order they ran, isolated ones included.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bench_lib.record.files import write_atomic
from bench_lib.suite import pytest_adapter, stash

DEFAULT_STORAGE = "file://./.benchmarks"


@dataclass(frozen=True)
class Saving:
    """Where the session saves its run; taken from pytest-benchmark's options when pytest starts."""

    name: str | None = None  # NAME of NNNN_NAME.json (--benchmark-save, or --benchmark-autosave's tag)
    folder: Path | None = None  # <storage>/<machine>, when name is set
    json_path: Path | None = None  # --benchmark-json: every round's data, written over an earlier file
    keep_data: bool = False  # --benchmark-save-data: every round's time in the saved run too
    journaled: bool = False  # named with --benchmark-save: a journal follows the sweep (bench_lib.suite.journal)


def take_over(config: pytest.Config) -> Saving:
    """Reads the saving options into the session's Saving and turns pytest-benchmark's own saving off.

    Raises:
      pytest.UsageError: a run is to be saved into a storage that is not a folder (tfbench reads files).
    """
    name = config.getoption("benchmark_save", None)
    autosave = config.getoption("benchmark_autosave", None)
    storage = config.getoption("benchmark_storage", None) or DEFAULT_STORAGE
    if "://" not in storage:
        storage = f"file://{storage}"
    if (name or autosave) and not storage.startswith("file://"):
        raise pytest.UsageError(
            f"--benchmark-storage={storage!r} is not allowed: tfbench saves runs as files, e.g. {DEFAULT_STORAGE}"
        )
    folder = Path(storage.removeprefix("file://")).absolute() / pytest_adapter.machine_id()
    json_path = config.getoption("benchmark_json", None)
    saving = Saving(
        name=name or autosave or None,
        folder=folder if name or autosave else None,
        json_path=Path(json_path) if json_path else None,
        keep_data=bool(config.getoption("benchmark_save_data", False)),
        journaled=bool(name),
    )
    for option in ("benchmark_save", "benchmark_autosave", "benchmark_json"):
        if hasattr(config.option, option):
            setattr(config.option, option, None)
    config.stash[stash.SAVING] = saving
    return saving


def machine_and_commit(config: pytest.Config) -> tuple[dict, dict]:
    """machine_info and commit_info through pytest-benchmark's hooks, as it would save them."""
    machine_info = config.hook.pytest_benchmark_generate_machine_info(config=config)
    config.hook.pytest_benchmark_update_machine_info(config=config, machine_info=machine_info)
    commit_info = config.hook.pytest_benchmark_generate_commit_info(config=config)
    config.hook.pytest_benchmark_update_commit_info(config=config, commit_info=commit_info)
    return machine_info, commit_info


def benchmark_entries(config: pytest.Config) -> list[dict]:
    """The saved benchmarks: the journaled configurations' first, then this session's, in the order they ran."""
    sweep = config.stash.get(stash.JOURNAL, None)
    entries = [*(sweep.resumed if sweep is not None else ()), *config.stash.get(stash.FINISHED, [])]
    return [e["benchmark"] for e in entries if e.get("benchmark")]


def save(config: pytest.Config) -> list[Path]:
    """Writes --benchmark-json and the numbered run, when asked and a configuration finished; the paths written.

    Raises:
      OSError: a file could not be written (nothing half-written is left).
    """
    saving = config.stash.get(stash.SAVING, Saving())
    benchmarks = benchmark_entries(config)
    failed = [r for r in config.stash.get(stash.RESULTS, []) if r.get("status") != "ok"]
    if not (saving.name or saving.json_path) or not (benchmarks or failed):
        return []
    machine_info, commit_info = machine_and_commit(config)

    def output(include_data: bool) -> str:
        out = config.hook.pytest_benchmark_generate_json(
            config=config, benchmarks=[], include_data=include_data, machine_info=machine_info, commit_info=commit_info
        )
        out["benchmarks"] = [b if include_data else _without_data(b) for b in benchmarks]
        config.hook.pytest_benchmark_update_json(config=config, benchmarks=[], output_json=out)
        return pytest_adapter.dumps(out, indent=4)

    written = []
    if saving.json_path is not None:
        write_atomic(saving.json_path, output(include_data=True), overwrite=True)
        written.append(saving.json_path)
    if saving.name is not None:
        written.append(write_numbered(saving.folder, saving.name, output(include_data=saving.keep_data)))
    return written


def _without_data(bench: dict) -> dict:
    return {**bench, "stats": {k: v for k, v in bench["stats"].items() if k != "data"}}


def next_number(folder: Path) -> int:
    """One more than the highest NNNN of the NNNN_*.json runs in folder (1 in an empty or missing one)."""
    numbers = [int(p.name[:4]) for p in Path(folder).glob("[0-9][0-9][0-9][0-9]_*.json")]
    return max(numbers, default=0) + 1


def write_numbered(folder: Path, name: str, text: str) -> Path:
    """Writes text to folder/NNNN_name.json under the next free number; returns the path.

    Raises:
      OSError: the file could not be written.
    """
    while True:
        path = Path(folder) / f"{next_number(folder):04d}_{name}.json"
        try:
            write_atomic(path, text)
            return path
        except FileExistsError:
            if not path.exists():
                raise  # not a race for the number: a file where a folder should be
            # another session took the number meanwhile: take the next one


@pytest.hookimpl(tryfirst=True)
def pytest_benchmark_group_stats(config: pytest.Config, benchmarks: list[dict], group_by: str) -> None:
    """pytest-benchmark's table shows the times tfbench saves (per optimizer step), not its own per round."""
    saved = {e["nodeid"]: e["benchmark"]["stats"] for e in config.stash.get(stash.FINISHED, []) if e.get("benchmark")}
    for bench in benchmarks:
        stats = saved.get(bench.get("fullname")) if bench.get("path") is None else None
        if stats is not None:
            bench.update({k: v for k, v in stats.items() if k != "data"})


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """Where the run was saved, last (in pytest-benchmark's words), or that nothing was."""
    saving, saved = config.stash.get(stash.SAVING, Saving()), config.stash.get(stash.SAVED, None)
    if saved is None or not (saving.name or saving.json_path):
        return  # not asked to save, or the save failed (the session ends with that line)
    terminalreporter.ensure_newline()
    if not saved:
        terminalreporter.write_line("tfbench: nothing saved: no configuration finished", yellow=True)
    for path in saved:
        terminalreporter.write_line(f"Saved benchmark data in: {path}")
