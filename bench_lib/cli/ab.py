"""The `ab` command: base and new measured in the same job, process by process, judged pair by pair.

Two environments — two Python interpreters (virtual environments), two checkouts, or two sets of
environment variables, in any mix — run the same benchmarks alternately: each pair runs one process
of each side, base first in pairs 1, 3, 5… and new first in pairs 2, 4… (ABBA…), so drift over the job
and the order within a pair fall on both sides alike. What runs is the command after `--`: pytest
arguments selecting benchmarks of the suite (each process saves an ordinary run,
`NNNN_<name>-base-<i>.json`, in the storage), or `run` and `tfbench run` options (each process
writes its result to `<reports>/ab-<name>/<side>-<i>.json`). Each pair gives each benchmark one
ratio of its median step times; bench_lib.analysis.paired judges them with its minimum detectable
effect. Exit status: 0 nothing worse, 1 something worse, 2 bad input or a process that failed.
Nothing here imports TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench_lib.cli.program import program

if TYPE_CHECKING:  # the reading side is imported when the command runs, not when the parser is built
    from bench_lib.analysis.paired import PairedVerdict

SIDES = ("base", "new")
# A process of either side that runs longer than this is stopped and the comparison fails.
PROCESS_TIMEOUT_S = 3600
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def add_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "ab",
        help="base and new measured alternately in one job, judged by a paired test",
        description="Runs the command after -- (pytest arguments selecting benchmarks, or `run` and its options) "
        "alternately in the base and the new environment, --pairs times each, and judges each benchmark's step "
        "time with a paired t-test on the log ratios; benchmarks whose traced step differs between the sides "
        "are named first.",
    )
    for side in SIDES:
        parser.add_argument(f"--{side}-python", default=sys.executable, help=f"{side}'s Python (default: this one)")
        parser.add_argument(
            f"--{side}-dir", type=Path, default=None, help=f"{side}'s checkout: working folder and PYTHONPATH"
        )
        parser.add_argument(
            f"--{side}-env", action="append", default=[], metavar="K=V", help=f"an environment variable of {side}"
        )
    parser.add_argument("--pairs", type=int, default=5, help="processes per side, run alternately (default 5)")
    parser.add_argument("--threshold", type=float, default=5.0, help="smallest change in %% judged (default 5)")
    parser.add_argument("--name", default="ab", help="names the saved runs and the report (default ab)")
    parser.add_argument("--storage", type=Path, default=Path(".benchmarks"), help="pytest-benchmark's storage folder")
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="where reports go (default reports/)")


@dataclass(frozen=True)
class Side:
    """One environment: its interpreter, checkout and extra variables."""

    name: str
    python: str
    folder: Path | None
    env: dict[str, str]

    def describe(self) -> str:
        parts = [self.python]
        if self.folder is not None:
            parts.append(f"checkout {self.folder}")
        parts += [f"{k}={v}" for k, v in self.env.items()]
        return ", ".join(parts)

    def environ(self) -> dict[str, str]:
        environ = dict(os.environ)
        if self.folder is not None:
            environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.folder), environ.get("PYTHONPATH")]))
        return environ | self.env


def sides_of(args: argparse.Namespace) -> tuple[Side, Side]:
    """Raises: ValueError naming the option, its value and what is allowed."""
    out = []
    for side in SIDES:
        python = getattr(args, f"{side}_python")
        if not (os.path.isfile(python) and os.access(python, os.X_OK)):
            raise ValueError(f"--{side}-python={python!r} is not allowed: an executable Python interpreter")
        folder = getattr(args, f"{side}_dir")
        if folder is not None and not folder.is_dir():
            raise ValueError(f"--{side}-dir={str(folder)!r} is not allowed: an existing folder (a checkout)")
        env = {}
        for item in getattr(args, f"{side}_env"):
            key, equals, value = item.partition("=")
            if not equals or not ENV_NAME.fullmatch(key):
                raise ValueError(f"--{side}-env={item!r} is not allowed: write NAME=VALUE")
            env[key] = value
        out.append(Side(side, python, folder.resolve() if folder is not None else None, env))
    return out[0], out[1]


def check_options(args: argparse.Namespace, command: Sequence[str]) -> None:
    """Raises: ValueError naming the option, its value and what is allowed."""
    if args.pairs < 2:
        raise ValueError(f"--pairs={args.pairs!r} is not allowed: a whole number >= 2 (a paired test needs 2 pairs)")
    if not (args.threshold >= 0 and args.threshold < 1000):
        raise ValueError(f"--threshold={args.threshold!r} is not allowed: a percentage >= 0")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", args.name):
        raise ValueError(f"--name={args.name!r} is not allowed: letters, digits, _ . and - only")
    if not command:
        raise ValueError(
            "ab needs a command after --: pytest arguments (e.g. -- benchmarks/test_throughput.py -k mlp) "
            "or `run` with its options (e.g. -- run --model mlp --dataset synthetic --steps 200)"
        )


def order(pairs: int) -> list[tuple[int, str]]:
    """(pair, side) in the order they run: base first in even pairs, new first in odd ones."""
    return [(i, side) for i in range(pairs) for side in (SIDES if i % 2 == 0 else SIDES[::-1])]


def _pytest_command(side: Side, pair: int, command: Sequence[str], name: str, storage: Path) -> list[str]:
    return [
        side.python, "-m", "pytest", *command, f"--benchmark-save={name}-{side.name}-{pair + 1}",
        f"--benchmark-storage=file://{storage.absolute()}", "--benchmark-save-data", "-p", "no:cacheprovider",
    ]  # fmt: skip


def _run_command(side: Side, pair: int, command: Sequence[str], folder: Path) -> list[str]:
    return [side.python, "-m", "bench_lib", *command, "--json", str(folder / f"{side.name}-{pair + 1}.json"), "-q"]


def _saved_run(storage: Path, save_name: str) -> Path:
    """Raises: RuntimeError when the process saved no run of that name."""
    found = sorted(storage.glob(f"*/[0-9][0-9][0-9][0-9]_{save_name}.json"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise RuntimeError(f"no saved run {save_name!r} in {storage}/: did the selection collect any benchmark?")
    return found[-1]


def suite_times(path: Path) -> dict[str, float]:
    """Median step time (ms) of each ok benchmark of a saved suite run, by benchmark key."""
    from bench_lib.maths import stats
    from bench_lib.record import history

    run = history.load_run(path)
    out = {}
    for bench in run.benchmarks:
        if bench.result.get("status") != "ok":
            continue
        if bench.rounds_s:
            out[bench.key] = stats.median(bench.rounds_s) * 1000
        elif (median := (bench.result.get("step_time_ms") or {}).get("median")) is not None:
            out[bench.key] = median
    return out


def result_times(path: Path) -> dict[str, float]:
    """The median step time (ms) of a `tfbench run` result, by its configuration id."""
    result = json.loads(path.read_text())
    median = (result.get("step_time_ms") or {}).get("median")
    return {result["id"]: median} if result.get("status") == "ok" and median else {}


def measure(
    sides: tuple[Side, Side], command: Sequence[str], *, pairs: int, name: str, storage: Path, folder: Path,
    say: Callable[[str], None],
) -> dict[str, list[dict[str, float]]]:  # fmt: skip
    """Runs every process in order(); per side, each pair's {benchmark key: median step time in ms}.

    Raises:
      RuntimeError: a process failed or ran too long; the message names it and its log.
    """
    by_side = {side.name: [{} for _ in range(pairs)] for side in sides}
    is_run = command[0] == "run"
    for pair, side_name in order(pairs):
        side = sides[SIDES.index(side_name)]
        if is_run:
            argv = _run_command(side, pair, command, folder)
        else:
            argv = _pytest_command(side, pair, command, name, storage)
        log = folder / f"{side.name}-{pair + 1}.log"
        say(f"pair {pair + 1}/{pairs}, {side.name}: {' '.join(argv[1:4])} … (log {log})")
        with log.open("w") as out:
            try:
                done = subprocess.run(
                    argv, cwd=side.folder, env=side.environ(), stdout=out, stderr=subprocess.STDOUT,
                    timeout=PROCESS_TIMEOUT_S, check=False,
                )  # fmt: skip
            except subprocess.TimeoutExpired:
                late = f"{side.name} pair {pair + 1} ran longer than {PROCESS_TIMEOUT_S} s; see {log}"
                raise RuntimeError(late) from None
        if done.returncode not in (0, 1) or (is_run and done.returncode != 0):
            raise RuntimeError(f"{side.name} pair {pair + 1} exited with {done.returncode}; see {log}")
        if is_run:
            by_side[side.name][pair] = result_times(folder / f"{side.name}-{pair + 1}.json")
        else:
            by_side[side.name][pair] = suite_times(_saved_run(storage, f"{name}-{side.name}-{pair + 1}"))
    return by_side


def computation_changes(command: Sequence[str], *, name: str, storage: Path, folder: Path) -> list:
    """The benchmarks whose traced step differs between the two sides' first processes (analysis.computation)."""
    from bench_lib.analysis import computation
    from bench_lib.record import history

    if command[0] != "run":
        base, new = (history.load_run(_saved_run(storage, f"{name}-{side}-1")) for side in SIDES)
        return computation.changed(base, new)
    base, new = (json.loads((folder / f"{side}-1.json").read_text()) for side in SIDES)
    found = computation.differences(base.get("computation"), new.get("computation"))
    return [computation.ComputationChange(base["id"], "base", "new", tuple(found))] if found else []


def verdicts(by_side: dict[str, list[dict[str, float]]], threshold: float) -> list[PairedVerdict]:
    """One paired verdict per benchmark either side measured, worst first; unknown where a pair lacks it."""
    from bench_lib.analysis import paired

    base, new = by_side["base"], by_side["new"]
    keys = sorted({k for times in (*base, *new) for k in times})
    out = []
    for key in keys:
        missing = [i + 1 for i, (b, n) in enumerate(zip(base, new, strict=True)) if key not in b or key not in n]
        if missing:
            out.append(paired.PairedVerdict(key, paired.UNKNOWN, len(base), method=f"not measured in pairs {missing}"))
        else:
            out.append(paired.judge(key, [b[key] for b in base], [n[key] for n in new], threshold=threshold))
    rank = {paired.WORSE: 0, paired.UNKNOWN: 1, paired.BETTER: 2, paired.SAME: 3}
    return sorted(out, key=lambda v: (rank[v.verdict], -(v.change or 0), v.key))


def ab_command(args: argparse.Namespace, command: Sequence[str], *, say: Callable[[str], None] = print) -> int:
    from bench_lib.analysis import paired
    from bench_lib.record.files import write_atomic
    from bench_lib.render.paired_tables import ab_markdown

    try:
        check_options(args, command)
        sides = sides_of(args)
    except ValueError as error:
        print(f"{program()}: error: {error}", file=sys.stderr)
        return 2
    folder = (args.reports / f"ab-{args.name}").absolute()
    folder.mkdir(parents=True, exist_ok=True)
    storage = args.storage.absolute()
    try:
        by_side = measure(sides, command, pairs=args.pairs, name=args.name, storage=storage, folder=folder, say=say)
    except (RuntimeError, OSError) as error:
        print(f"{program()}: error: {error}", file=sys.stderr)
        return 2
    judged = verdicts(by_side, args.threshold)
    changes = computation_changes(command, name=args.name, storage=storage, folder=folder)
    described = [s.describe() for s in sides]
    text = ab_markdown(args.name, described, command, args.pairs, args.threshold, judged, changes)
    write_atomic(folder / "ab.md", text, overwrite=True)
    document = {"sides": {s.name: s.describe() for s in sides}, "command": list(command), "times_ms": by_side,
                "verdicts": [vars(v) for v in judged]}  # fmt: skip
    write_atomic(folder / "ab.json", json.dumps(document, indent=2), overwrite=True)
    say(text)
    say(f"wrote {folder / 'ab.md'} and {folder / 'ab.json'}")
    return 1 if any(v.verdict == paired.WORSE for v in judged) else 0
