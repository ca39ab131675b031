"""The command line: `run` trains and measures one configuration; `launch --workers N -- <command>` runs a
command as N local workers; `allreduce` measures all-reduce bandwidth; `report`, `compare` and `trend`
read saved runs; `ab ... -- <command>` measures base and new alternately (bench_lib/cli/ab.py).

Its options are in bench_lib/cli/arguments.py (run's, generated from RunSpec, in run_options.py);
each command here checks its input, then does the work and turns what can go wrong into one line and an
exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn

from bench_lib.cli import ab, bandwidth
from bench_lib.cli.arguments import command_line
from bench_lib.cli.launch import netns
from bench_lib.cli.launch.launcher import LaunchOptions, launch
from bench_lib.cli.program import fail, program
from bench_lib.cli.run_options import spec_from_args
from bench_lib.config import collective, heartbeat


def saved_run_command(args: argparse.Namespace) -> int:
    """report / compare / trend / gate-check; options are checked before anything is read."""
    from bench_lib.analysis import verdict

    try:
        thresholds = verdict.parse_thresholds(getattr(args, "fail_on", ""))
    except ValueError as error:
        return _fail(str(error))
    if args.command == "gate-check":
        from bench_lib.cli.saved_runs.gate_check import parse_factors, parse_processes

        try:
            factors, processes = parse_factors(args.factors), parse_processes(args.processes)
        except ValueError as error:
            return _fail(str(error))
    if args.command == "trend" and (args.k <= 0 or args.window < 1):
        bad = (
            f"--k={args.k!r} is not allowed: a number > 0"
            if args.k <= 0
            else (f"--window={args.window!r} is not allowed: a whole number >= 1")
        )
        return _fail(bad)
    option, target = ("--out", args.out) if getattr(args, "out", None) is not None else ("--reports", args.reports)
    if problem := _unwritable(target / "report.md"):  # before any run is read or drawn
        return _fail(f"{option}={str(target)!r} is not allowed: {problem}")
    from bench_lib.cli.saved_runs import compare, gate_check, report, trend
    from bench_lib.record.files import cannot_write

    try:
        if args.command == "report":
            return report.report_command(args.runs, storage=args.storage, reports=args.reports, out=args.out)
        if args.command == "gate-check":
            return gate_check.gate_check_command(
                args.base, args.new, factors=factors, thresholds=thresholds, storage=args.storage, reports=args.reports,
                processes=processes,
            )  # fmt: skip
        if args.command == "compare":
            return compare.compare_command(
                args.base, args.new, thresholds=thresholds, storage=args.storage, reports=args.reports,
                fail_insensitive=args.fail_insensitive,
            )  # fmt: skip
        return trend.trend_command(
            args.runs, thresholds=thresholds, k=args.k, window=args.window, storage=args.storage, reports=args.reports,
            order=args.order, fail_insensitive=args.fail_insensitive,
        )  # fmt: skip
    except OSError as error:  # no space, read-only or non-creatable folder: nothing was replaced
        return _fail(cannot_write(error))


def _fail(message: str) -> int:
    return fail(message)


def _unwritable(path: Path) -> str | None:
    """Why a result could not be written to path, checked before any training; None if it can."""
    from bench_lib.record.files import unwritable

    return unwritable(path.absolute().parent, not_writable="the folder {folder} is not writable")


def run_command(args: argparse.Namespace) -> int:
    try:
        from bench_lib.engine import slurm  # imports TensorFlow only for a Slurm cluster

        cluster = slurm.resolve(args.cluster)
        spec = spec_from_args(args, cluster)
        collective.check_machine(spec, collective.visible_gpus())
    except ValueError as error:
        return _fail(str(error))
    # Only the chief writes files; the other workers of a cluster train alongside it.
    writes = cluster is None or cluster.is_chief
    if writes and args.json is not None and args.json.exists():
        return _fail(f"--json {args.json} exists already; choose another path (results are never overwritten)")
    if args.json is not None and (problem := _unwritable(args.json)):
        return _fail(f"--json={str(args.json)!r} is not allowed: {problem}")

    heartbeat.start()  # under `launch`: shows the launcher this worker is alive and not stuck
    # TensorFlow is imported only now, after the input has been checked.
    from bench_lib.engine import start_up_notices

    with start_up_notices.left_out(verbose=args.verbose):
        from bench_lib.engine import runner, strategy
        from bench_lib.probes import speed
    from bench_lib.record.files import cannot_write, write_atomic
    from bench_lib.render import tables as report

    try:
        speed.declared_peak_gflops()
        strategy.configure_for(spec, cluster, deterministic=spec.deterministic)
        print(report.spec_line(spec.as_dict() | {"id": spec.id, "micro_batch_size": spec.micro_batch_size}), flush=True)
        if spec.seeds > 1:
            print(f"seeds {', '.join(map(str, spec.seed_list))}: one learning curve after another", flush=True)
        on_epoch = None
        if not args.quiet:
            epochs = None if spec.steps else spec.epochs
            on_epoch = lambda record: print(report.epoch_line(vars(record), epochs), flush=True)  # noqa: E731
        trace_dir = args.trace if args.trace is None or cluster is None else args.trace / cluster.task_name
        result = runner.run(spec, on_epoch=on_epoch, trace_dir=trace_dir)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        return _fail(str(error))
    as_dict = result.as_dict()
    print(report.summary_line(as_dict), flush=True)
    for line in report.warning_lines(as_dict):
        print(line, file=sys.stderr)
    if args.json is not None and not writes:
        print(f"{cluster.task_name}: not writing {args.json}; the chief does")
    elif args.json is not None:
        try:
            write_atomic(args.json, result.to_json())
        except OSError as error:  # e.g. the disk filled up during training: the result is still printed above
            return _fail(cannot_write(error))
        print(f"wrote {args.json}")
    return 0 if result.status == "ok" else 1


def launch_command(args: argparse.Namespace, command: list[str]) -> int:
    try:
        options = LaunchOptions(
            command=tuple(command),
            workers=args.workers,
            replicas_per_worker=args.replicas_per_worker,
            stop_timeout_s=args.stop_timeout,
            stream_all=args.all_output,
            netns=args.netns,
            netem=args.netem,
            heartbeat_timeout_s=args.heartbeat_timeout,
        )
    except ValueError as error:
        return _fail(str(error))
    if options.netns and (reason := netns.unavailable()):
        return _fail(reason)
    return launch(options)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after `--` is the launched command, never options of ours.
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    ours = argv[: argv.index("--")] if "--" in argv else argv
    args = command_line().parse_args(ours)
    if args.command == "launch":
        return launch_command(args, command)
    if args.command == "ab":
        return ab.ab_command(args, command)
    if command:
        return _fail(f"{args.command} takes no command after --: {' '.join(command)!r}")
    if args.command == "allreduce":
        return bandwidth.allreduce_command(args)
    if args.command == "machines":
        from bench_lib.cli import machines

        return machines.machines_command(args.runs, storage=args.storage, reports=args.reports)
    if args.command == "reference-run":
        from bench_lib.cli import reference_run

        return reference_run.reference_run_command(
            args.run, provisional=args.provisional, storage=args.storage, reports=args.reports, name=args.name
        )
    if args.command != "run":
        return saved_run_command(args)
    try:
        return run_command(args)
    except KeyboardInterrupt:
        print(f"{program()}: interrupted; no result written", file=sys.stderr)
        return 130


def console() -> None:
    """Entry point of the `tfbench` console script and of `python -m bench_lib`."""
    end_process(main())


def end_process(code: int) -> NoReturn:
    """Ends the process with `code` as soon as its output is flushed.

    Once TensorFlow has run, the interpreter's teardown destroys the training input pipeline's
    iterator, and its destructor waits on tf.data's background threads: seconds to minutes, and
    longer the more replicas there are, after every result has been printed and written. Nothing
    is left to do by then, so a process that imported TensorFlow ends at once (os._exit) instead.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    if "tensorflow" in sys.modules:
        os._exit(code)
    sys.exit(code)
