"""The command line's arguments: the parser behind `tfbench --help` and the name the program goes by.

`run`'s options are generated from RunSpec in bench_lib/cli/run_options.py, `launch`'s are in
launch/arguments.py and `allreduce`'s in bandwidth.py; the saved-run commands' are here."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench_lib.analysis import timing_noise
from bench_lib.cli import ab, bandwidth, machines, reference_run, run_options
from bench_lib.cli.launch import arguments as launch_arguments
from bench_lib.cli.program import program


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage plus a line
        self.exit(2, f"{self.prog}: error: {message}\n")


def command_line() -> argparse.ArgumentParser:
    """`tfbench` (or `python -m bench_lib`): run, launch, allreduce, report, compare and trend, with their options."""
    parser = _Parser(prog=program(), description="tfbench: TensorFlow training benchmarks.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="train and measure one configuration")
    run_options.add_run_options(run)
    launch_arguments.add_command(commands)
    bandwidth.add_command(commands)
    ab.add_command(commands)
    _add_saved_run_commands(commands)
    machines.add_command(commands)
    reference_run.add_command(commands)
    return parser


RUN_HELP = "a saved run: a path, a folder, a glob, an NNNN counter or a save name in --storage"


def _add_saved_run_commands(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser("report", help="tables, plots, index.html and results.csv of saved runs")
    report.add_argument("runs", nargs="*", metavar="RUN", help=RUN_HELP + " (default: the newest saved run)")
    report.add_argument("--out", type=Path, default=None, help="folder of the report (default: REPORTS/<run name>)")
    compare = commands.add_parser("compare", help="better / worse / same per metric between two saved runs")
    compare.add_argument("base", metavar="BASE", help=RUN_HELP)
    compare.add_argument("new", metavar="NEW", help=RUN_HELP)
    gate = commands.add_parser(
        "gate-check",
        help="which slowdown compare calls worse on two runs of this machine",
        description="Compares BASE with NEW as measured, then with copies of NEW whose timings are multiplied "
        "by each --factors (a uniform slowdown): two runs of unchanged code show whether the gate cries wolf "
        "(as measured) and whether it sees a slowdown of the threshold's size on each timed benchmark.",
    )
    gate.add_argument("base", metavar="BASE", help=RUN_HELP)
    gate.add_argument("new", metavar="NEW", help=RUN_HELP)
    gate.add_argument(
        "--factors", default="1.1,1.2,1.5", help="slowdowns to apply to NEW's timings (default %(default)s)"
    )
    gate.add_argument(
        "--processes",
        default="",
        metavar="K,...",
        help="judge both runs on each configuration's first K processes only, for each K, e.g. 1,2,3: what "
        "--bench-processes K would have seen (default: the processes the runs saved)",
    )
    trend = commands.add_parser("trend", help="the newest run of one machine against its history")
    trend.add_argument("runs", nargs="*", metavar="RUN", help=RUN_HELP + " (default: every saved run)")
    trend.add_argument("--k", type=float, default=3.0, help="width of the band in MADs (default %(default)s)")
    trend.add_argument(
        "--window", type=int, default=10, help="earlier runs the newest is checked against (default %(default)s)"
    )
    trend.add_argument(
        "--order",
        choices=("saved", "commit", "tensorflow"),
        default="saved",
        help="order the history by save time, by the commit's time or by TensorFlow version (default %(default)s)",
    )
    for sub in (compare, trend, gate):
        sub.add_argument(
            "--fail-on",
            default="",
            help="thresholds, e.g. time:10%%,throughput:10%%,accuracy:1pt,memory:10%% (these are the defaults). "
            "A timing change must exceed its threshold AND stand out from the between-process noise "
            "estimated from the runs. With one process a run (the quick and full profiles), every row must "
            f"also pass a fixed floor: x{timing_noise.DEFAULT_NOISE_FACTOR:g} for a configuration timed in "
            f"blocks, x{timing_noise.ACCURACY_RUN_NOISE_FACTOR:g} for one trained for accuracy or a step "
            "budget; only the run level sees less. Where the noise or the floor is wider than the "
            "threshold, it decides, the report names it, and --bench-processes N in the suite (the "
            "nightly profile) narrows it",
        )
    for sub in (compare, trend):
        sub.add_argument(
            "--fail-insensitive",
            action="store_true",
            help="exit 3 (when nothing is worse) if any timing comparison could not have seen a change of "
            "the threshold's size (at its α and 80%% power)",
        )
    for sub in (report, compare, trend, gate):
        sub.add_argument("--storage", type=Path, default=Path(".benchmarks"), help="pytest-benchmark's storage folder")
        sub.add_argument("--reports", type=Path, default=Path("reports"), help="where reports go (default reports/)")
