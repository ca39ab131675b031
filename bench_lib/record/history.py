"""Finds and reads saved pytest-benchmark runs (`.benchmarks/`), naming the file whenever one cannot be used.

A saved run is one pytest-benchmark JSON file; each of its benchmarks carries a tfbench result
dict in `extra_info`, or, for a question that saves something else in its place (a search, a
sweep), that entry: kept apart in `SavedRun.extras` by question, for the question to read
(bench_lib.questions, `saved_keys`). Nothing here imports TensorFlow and nothing here writes a file.
"""

from __future__ import annotations

import glob
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bench_lib.record import fingerprint, journal_lines, metrics

DEFAULT_STORAGE = Path(".benchmarks")
# The result schema this reader understands (bench_lib.record.result.SCHEMA_VERSION; a test keeps them equal).
READ_SCHEMA_VERSION = 1


class HistoryError(ValueError):
    """A saved run that cannot be used; the message is one line naming the file."""


@dataclass(frozen=True, kw_only=True)
class Benchmark:
    """One configuration of a saved run: its tfbench result and pytest-benchmark's timing."""

    question: str  # the benchmark module without `test_`, e.g. 'batch_size'
    id: str  # the stable configuration id, e.g. 'mirrored2-bs256-acc4-mlp-adam'
    result: dict  # RunResult.as_dict(), keys added since older schemas filled with defaults
    rounds_s: tuple[float, ...]  # every timed round in seconds; empty when saved without --benchmark-save-data
    timing: dict  # pytest-benchmark's stats (seconds) without the raw rounds

    @property
    def key(self) -> str:
        """Matches the same benchmark across runs, machines and months: 'batch_size/<id>'."""
        return f"{self.question}/{self.id}"


@dataclass(frozen=True, kw_only=True)
class SavedRun:
    path: Path
    name: str  # the file's stem, e.g. '0003_quick'
    datetime: str  # ISO 8601, when pytest-benchmark saved it
    machine: dict
    commit: dict
    benchmarks: tuple[Benchmark, ...]
    skipped: tuple[str, ...]  # one line per benchmark of the file that could not be used
    # What questions saved in place of a training result (extra_info without a schema_version), by question.
    extras: dict[str, tuple[dict, ...]] = field(default_factory=dict)
    incomplete: bool = False  # read from the journal of a sweep that never saved its run
    interrupted: bool = False  # saved by a session that was interrupted (`tfbench_interrupted`): a partial run

    def by_key(self) -> dict[str, Benchmark]:
        return {b.key: b for b in self.benchmarks}

    def judged_results(self, question: str | None = None) -> list[dict]:
        """The result dicts the run's findings are judged from (of one question, if given), in the run's order:
        each configuration's result with its question and its timed rounds as rounds_s (a one-seed throughput
        finding is read over them; empty where the run kept none)."""
        return [
            {**b.result, "question": b.question, "rounds_s": b.rounds_s}
            for b in self.benchmarks
            if question in (None, b.question)
        ]


def _with_defaults(result: dict) -> dict:
    """Fills keys that later schema additions introduced, so years-old files still read.

    A metric (bench_lib.record.metrics) saved before it existed reads as None.
    """
    spec = result.get("spec") or {}
    replicas = result.get("replicas", spec.get("replicas", 1))
    out = {
        "error": None,
        "history": [],
        "step_time_ms": None,
        "workers": 1,
        "replicas_per_worker": replicas,
        "seeds": [spec["seed"]] if "seed" in spec else [],
        "seed_stats": {},
        **result,
    }
    out["replicas"] = replicas
    for metric in metrics.METRICS:  # after the keys the file has, so their order stays the file's
        out.setdefault(metric.key, None)
    return out


def _benchmark(raw: object, path: Path) -> Benchmark:
    """Raises: HistoryError naming the file and the benchmark."""
    if not isinstance(raw, dict) or not isinstance(raw.get("stats"), dict):
        raise HistoryError(f"{path}: a benchmark entry without pytest-benchmark 'stats' was skipped")
    name = raw.get("name", "?")
    info = raw.get("extra_info") or {}
    version = info.get("schema_version")
    if version is None:
        raise HistoryError(f"{path}: {name}: not a tfbench result (its extra_info has no schema_version); skipped")
    if not isinstance(version, int) or version > READ_SCHEMA_VERSION:
        raise HistoryError(
            f"{path}: {name}: schema_version={version!r} is not allowed: this tfbench reads up to "
            f"{READ_SCHEMA_VERSION}; upgrade tfbench to read it"
        )
    missing = [k for k in ("id", "spec", "status") if k not in info]
    if missing:
        raise HistoryError(f"{path}: {name}: result lacks {', '.join(missing)}; skipped")
    group = raw.get("group") or name.split("[", 1)[0]
    stats = {k: v for k, v in raw["stats"].items() if k != "data"}
    rounds = tuple(float(x) for x in raw["stats"].get("data") or ())
    return Benchmark(
        question=group.removeprefix("test_"), id=info["id"], result=_with_defaults(info), rounds_s=rounds, timing=stats
    )


def _extra(raw: object) -> tuple[str, dict] | None:
    """(question, entry) of a benchmark that saved something other than a training result; None otherwise.

    Such an entry has no schema_version and is not empty (a benchmark without tfbench data is foreign).
    """
    info = raw.get("extra_info") if isinstance(raw, dict) else None
    if not isinstance(info, dict) or not info or "schema_version" in info:
        return None
    group = raw.get("group") or str(raw.get("name", "?")).split("[", 1)[0]
    return group.removeprefix("test_"), info


def _failure(raw: object, path: Path) -> Benchmark:
    """A configuration the suite saved under `tfbench_failures` (status oom, diverged or failed): no rounds."""
    if not isinstance(raw, dict) or any(k not in raw for k in ("question", "id", "spec", "status")):
        raise HistoryError(f"{path}: a tfbench_failures entry without question, id, spec and status was skipped")
    result = {k: v for k, v in raw.items() if k not in ("question", "name", "group")}
    return Benchmark(question=raw["question"], id=raw["id"], result=_with_defaults(result), rounds_s=(), timing={})


def _read_json(path: Path) -> object:
    try:
        text = path.read_text()
    except OSError as error:
        raise HistoryError(f"{path}: cannot be read: {error.strerror or error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        # Cut short (an interrupted write): the error is at the end, or in a string that never closes.
        # A cut inside the last token (`tru`, `1.`, `-`) fails at that token's start, so only it may follow.
        unterminated = error.msg.startswith("Unterminated string") and '"' not in text[error.pos + 1 :]
        last_token = re.fullmatch(r"[\w.+-]*", text[error.pos :].rstrip()) is not None
        kind = "truncated" if unterminated or last_token else "corrupt"
        where = f"line {error.lineno}, column {error.colno}"
        raise HistoryError(f"{path}: not valid JSON ({kind}: {error.msg}, {where})") from None


def load_run(path: Path) -> SavedRun:
    """Reads one saved pytest-benchmark file, or a sweep's journal (marked incomplete); unusable
    benchmarks inside it are listed in `skipped`.

    Raises:
      HistoryError: the file is unreadable, not JSON, not a pytest-benchmark file or journal, or
        holds no tfbench result.
    """
    path = Path(path)
    return run_from_data(read_data(path), path)


def read_data(path: Path) -> object:
    """A saved file's data as pytest-benchmark writes it; a sweep's journal as the run it would have saved.

    Raises:
      HistoryError: the file is unreadable or not JSON, or the journal is unusable.
    """
    if journal_lines.is_journal(path):
        try:
            return journal_lines.as_saved_run_data(path)
        except journal_lines.JournalError as error:
            raise HistoryError(str(error)) from None
    return _read_json(path)


def run_from_data(data: object, path: Path) -> SavedRun:
    """The saved run a pytest-benchmark file's data holds, named after path (its stem).

    Raises:
      HistoryError: as load_run, for data that is not a saved suite run.
    """
    if isinstance(data, dict) and "schema_version" in data and "spec" in data:
        raise HistoryError(f"{path}: a single `python -m bench_lib run` result, not a saved suite run; not read")
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise HistoryError(f"{path}: not a pytest-benchmark file (no 'benchmarks' list); not read")
    benchmarks, skipped = [], []
    extras: dict[str, list[dict]] = {}
    for raw in data["benchmarks"]:
        if (extra := _extra(raw)) is not None:
            extras.setdefault(extra[0], []).append(extra[1])
            continue
        try:
            benchmarks.append(_benchmark(raw, path))
        except HistoryError as error:
            skipped.append(str(error))
    for raw in data.get("tfbench_failures") or ():
        try:
            benchmarks.append(_failure(raw, path))
        except HistoryError as error:
            skipped.append(str(error))
    if not (benchmarks or extras):
        reason = skipped[0] if skipped else f"{path}: holds no benchmarks"
        raise HistoryError(f"{reason} (no usable tfbench result in the file)")
    return SavedRun(
        path=path,
        name=path.stem,
        datetime=str(data.get("datetime") or ""),
        machine=_machine(data),
        commit=data.get("commit_info") if isinstance(data.get("commit_info"), dict) else {},
        benchmarks=tuple(benchmarks),
        skipped=tuple(skipped),
        extras={question: tuple(entries) for question, entries in extras.items()},
        incomplete=bool(data.get("tfbench_incomplete")),
        interrupted=data.get("tfbench_interrupted") is True,
    )


def _machine(data: dict) -> dict:
    """The run's machine info, with the load it was measured under (`tfbench_load`, kept out of machine_info
    so that pytest-benchmark's own compare does not see it change) merged back in."""
    machine = data.get("machine_info") if isinstance(data.get("machine_info"), dict) else {}
    load = data.get("tfbench_load")
    return {**machine, **load} if isinstance(load, dict) else dict(machine)


def saved_files(storage: Path = DEFAULT_STORAGE) -> list[Path]:
    """Every saved run under storage (pytest-benchmark's `<machine-id>/NNNN_<name>.json`), oldest first."""
    files = [p for p in Path(storage).glob("*/*.json") if p.is_file()]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def resolve(selector: str, storage: Path = DEFAULT_STORAGE) -> list[Path]:
    """The files one RUN argument names: a path, a folder, a glob, an NNNN counter or a save name.

    Raises:
      HistoryError: nothing matches.
    """
    path = Path(selector)
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*.json") if p.is_file())
    if glob.has_magic(selector):
        found = sorted(Path(p) for p in glob.glob(selector, recursive=True) if Path(p).is_file())
        if found:
            return found
    saved = saved_files(storage)
    if re.fullmatch(r"\d{1,4}", selector):
        found = [p for p in saved if p.name.startswith(f"{int(selector):04d}_")]
    else:  # a save name: every run saved under it, or an exact stem such as 0003_quick; and its unfinished journal
        found = [p for p in saved if p.stem == selector or p.stem.split("_", 1)[-1] == selector]
        journals = Path(storage).glob(f"*/{glob.escape(selector)}{journal_lines.SUFFIX}")
        found += sorted(p for p in journals if p.is_file())
    if not found:
        raise HistoryError(
            f"RUN={selector!r} is not allowed: no such file or folder, no glob match, and no run with that "
            f"NNNN counter or save name in {storage}/"
        )
    return found


def load_selected(
    selectors: Iterable[str], storage: Path = DEFAULT_STORAGE, *, warn: Callable[[str], None]
) -> tuple[list[SavedRun], bool]:
    """Loads every file the selectors name (the newest saved run when there are none).

    Each problem is passed to warn as one line and the other files are still read. Returns the
    runs and whether any file or selector the user named could not be used.
    """
    selectors = list(selectors)
    named_failed = False
    paths: list[Path] = []
    if not selectors:
        saved = saved_files(storage)
        if not saved:
            warn(f"no saved runs in {storage}/; run `make bench` or pass RUN paths")
            return [], True
        paths = [saved[-1]]
    for selector in selectors:
        try:
            paths.extend(p for p in resolve(selector, storage) if p not in paths)
        except HistoryError as error:
            warn(str(error))
            named_failed = True
    runs = []
    for path in paths:
        try:
            run = load_run(path)
        except HistoryError as error:
            warn(str(error))
            named_failed = named_failed or bool(selectors)
            continue
        for line in run.skipped:
            warn(line)
        runs.append(run)
    return runs, named_failed or not runs


# Total RAM within this fraction is the same machine: the kernel's reserve moves it by a MiB or so.
MEMORY_TOLERANCE = 0.01
ORDERS = ("saved", "commit", "tensorflow")  # how trend orders a history


def partial(run: SavedRun) -> str | None:
    """Why a run is only part of a sweep (journal-read or interrupted), or None for a whole run."""
    if run.incomplete:
        return "read from the journal of a sweep that never saved its run"
    if run.interrupted:
        return "saved by an interrupted session (tfbench_interrupted)"
    return None


def machine_split(reference: dict, other: dict) -> list[str]:
    """The hardware and set-up facts that make `other` another machine than `reference`: 'field: a -> b' each.

    Facts one run did not record are not compared; total RAM within MEMORY_TOLERANCE is the same.
    """
    lines = []
    for key in (*fingerprint.HARDWARE_KEYS, *fingerprint.SETUP_KEYS):
        a, b = fingerprint.fact(reference, key), fingerprint.fact(other, key)
        if None in (a, b) or a == b:
            continue
        numbers = all(isinstance(x, int | float) for x in (a, b))
        if key == "memory_total_mib" and numbers and abs(a - b) <= MEMORY_TOLERANCE * max(a, b):
            continue
        lines.append(f"{key}: {a} -> {b}")
    return lines


def _version_key(text: object) -> tuple[int, ...]:
    """'2.21.0' -> (2, 21, 0); a pre-release ('2.21.0rc1') sorts before its release; unknown first."""
    match = re.match(r"(\d+(?:\.\d+)*)(.*)", str(text or ""))
    if match is None:
        return (-1,)
    numbers = tuple(int(x) for x in match.group(1).split("."))
    return (*numbers, 0 if match.group(2) else 1)


def ordered(runs: Iterable[SavedRun], by: str) -> list[SavedRun]:
    """Runs oldest first by save time, by their commit's time, or by TensorFlow version (then save time).

    Raises:
      ValueError: `by` is not one of ORDERS.
    """
    keys = {
        "saved": lambda r: (r.datetime, r.name),
        "commit": lambda r: (str(r.commit.get("time") or ""), r.datetime, r.name),
        "tensorflow": lambda r: (_version_key(r.machine.get("tensorflow")), r.datetime, r.name),
    }
    if by not in keys:
        raise ValueError(f"--order={by!r} is not allowed: use one of {', '.join(ORDERS)}")
    return sorted(runs, key=keys[by])
