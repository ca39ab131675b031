"""The `machines` command: several saved runs of different machines side by side, as a performance profile.

`tfbench machines RUN RUN [RUN ...]` reads two or more saved runs (one per machine; a save name
that matches several takes each), draws the performance profile of their throughput over the
model families and precisions every one of them ran (bench_lib.analysis.machines), and writes
reports/machines-<names>/ with machines.md, index.html (the profile, its table, and each machine's
facts and hardware table beside it) and performance-profile.png. Two runs are better read with
`tfbench compare`, which adds intervals and the findings. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from bench_lib import questions
from bench_lib.analysis import machines
from bench_lib.record import history
from bench_lib.record.files import write_all_atomic
from bench_lib.record.history import SavedRun
from bench_lib.render import machine_tables, page, plot_machines
from bench_lib.render import tables as report

PROFILE_SECTION = "performance_profile"
RUN_HELP = "a saved run: a path, a folder, a glob, an NNNN counter or a save name in --storage"


def add_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "machines",
        help="a performance profile of two or more saved runs of different machines, with each one's hardware table",
    )
    parser.add_argument("runs", nargs="+", metavar="RUN", help=RUN_HELP + " (two or more in all)")
    parser.add_argument("--storage", type=Path, default=Path(".benchmarks"), help="pytest-benchmark's storage folder")
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="where reports go (default reports/)")


def timed_questions() -> list[str]:
    """The questions whose findings follow examples/s: those whose configurations are compared for speed."""
    return [q.name for q in questions.all_questions() if q.metric == "examples_per_sec"]


def machines_files(runs: list[SavedRun]) -> dict[str, str | bytes]:
    """machines.md, index.html and performance-profile.png of the runs.

    Raises:
      ValueError: fewer than two runs, or no configuration every one ran ok.
    """
    profile = machines.performance_profile([(r.name, r.benchmarks) for r in runs], questions=timed_questions())
    png = plot_machines.performance_profile_png(profile)
    sections = [(PROFILE_SECTION, [machine_tables.profile_table(profile)])]
    shown = questions.machine_table_questions()
    for run in runs:
        facts = report.machine_rows(run.machine, run.commit, (b.result.get("replicas", 1) for b in run.benchmarks))
        tables = [report.Table(f"{run.name}: machine", ("", ""), [tuple(f) for f in facts])]
        for name in shown:
            tables += report.question_tables([b.result for b in run.benchmarks if b.question == name], name)
        sections.append((f"machine_{run.name}", tables))
    title = " vs ".join(r.name for r in runs)
    facts = [("runs", ", ".join(f"{r.name} ({r.path})" for r in runs)), ("families × precisions", str(
        len(profile.problems))), ("configurations not run ok on every machine", str(profile.left_out))]  # fmt: skip
    name = "performance-profile.png"
    return {
        "machines.md": report.report_markdown(title, facts, sections, {PROFILE_SECTION: [name]}),
        "index.html": page.report_page(title, facts, sections, {PROFILE_SECTION: [(name, png)]}),
        name: png,
    }


def machines_command(
    selectors: list[str], *, storage: Path, reports: Path, say: Callable[[str], None] = print
) -> int:  # fmt: skip
    """Exit status 0 written, 2 a run could not be used or fewer than two runs were read."""
    runs, named_failed = history.load_selected(selectors, storage, warn=_warn)
    if named_failed:
        return 2
    try:
        files = machines_files(runs)
    except ValueError as error:
        _warn(str(error))
        return 2
    folder = reports / ("machines-" + "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", r.name) for r in runs))
    write_all_atomic({folder / n: data for n, data in files.items()})
    say(str(files["machines.md"]))
    say(f"wrote {len(files)} files to {folder}/ (open {folder / 'index.html'})")
    return 0


def _warn(line: str) -> None:
    print(f"tfbench: error: {line}", file=sys.stderr)
