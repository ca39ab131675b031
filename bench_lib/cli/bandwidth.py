"""The `allreduce` command: its options, the strategy they describe, the measuring and the table it prints.

Under `launch` every worker measures (bench_lib.probes.allreduce_timing, imported when the command runs) and the
chief prints and saves the table: one row per size with the time of one all-reduce, algbw and
busbw (bench_lib.maths.allreduce_figures), as the allreduce question saves them. TensorFlow is imported only
when the command runs, not when its options are built.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench_lib.cli.program import fail
from bench_lib.config import cluster as cluster_lib
from bench_lib.config import collective, heartbeat
from bench_lib.config.spec import RunSpec
from bench_lib.maths import allreduce_figures as allreduce
from bench_lib.render import cluster_tables


def add_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "allreduce",
        help="all-reduce bandwidth (algbw, busbw) and latency of a strategy, 1 KiB to 256 MiB",
        description="Times all-reduces of float32 buffers from --min-size to --max-size (x4 each step) across "
        "every replica of the strategy; under `launch` across the workers, with the collective settings given.",
    )
    parser.add_argument("--strategy", default="multi_worker", help="mirrored or multi_worker (default %(default)s)")
    parser.add_argument("--replicas", type=int, default=None, help="mirrored: replicas in this process (default 2)")
    parser.add_argument(
        "--replicas-per-worker", type=int, default=None, help="multi_worker: replicas in each worker (default 1)"
    )
    parser.add_argument("--cluster", default="auto", help=f"one of {', '.join(cluster_lib.SOURCES)} (default auto)")
    parser.add_argument("--collective", default="auto", help=f"one of {', '.join(collective.COLLECTIVES)}")
    parser.add_argument("--bytes-per-pack", type=int, default=0, help="all-reduce packs of about this many bytes")
    parser.add_argument(
        "--collective-timeout-s",
        "--collective-timeout",
        dest="collective_timeout",
        type=float,
        default=None,
        help="seconds before an all-reduce fails",
    )
    parser.add_argument("--min-size", default="1KiB", help="smallest buffer, e.g. 1KiB (default %(default)s)")
    parser.add_argument("--max-size", default="256MiB", help="largest buffer, e.g. 256MiB (default %(default)s)")
    parser.add_argument("--json", default=None, help="also write the rows here (never overwrites a file)")


def sizes(args: argparse.Namespace) -> tuple[int, ...]:
    """--min-size, x4, ... up to --max-size.

    Raises:
      ValueError: a size is not allowed, or the smallest exceeds the largest.
    """
    low, high = allreduce.parse_size(args.min_size), allreduce.parse_size(args.max_size)
    if low > high:
        raise ValueError(f"min_size={args.min_size!r} is not allowed: it exceeds max_size={args.max_size!r}")
    out = [low]
    while out[-1] * 4 <= high:
        out.append(out[-1] * 4)
    return tuple(out)


def spec_of(args: argparse.Namespace, cluster: cluster_lib.Cluster | None) -> RunSpec:
    """The strategy's shape and collective settings as a RunSpec (its other fields are unused).

    Raises:
      ValueError: a field is not allowed (RunSpec's one line), or the shape does not fit the cluster.
    """
    shape = cluster_lib.shape(
        args.strategy,
        cluster,
        replicas=args.replicas,
        replicas_per_worker=args.replicas_per_worker,
        default_replicas=2,
    )
    return RunSpec(
        strategy=args.strategy,
        **shape,
        global_batch_size=shape["replicas"],
        collective=args.collective,
        bytes_per_pack=args.bytes_per_pack,
        collective_timeout_s=args.collective_timeout,
    )


def table(spec: RunSpec, rows: list[dict[str, float]]) -> list[str]:
    """The lines the chief prints: a header, one line per size, and the latency."""
    return cluster_tables.sweep_lines(allreduce.sweep(spec.id, spec.as_dict(), rows))


def document(spec: RunSpec, rows: list[dict[str, float]]) -> str:
    """The JSON `--json` writes: the sweep as the suite saves it."""
    return json.dumps(allreduce.sweep(spec.id, spec.as_dict(), rows), indent=2)


def allreduce_command(args: argparse.Namespace) -> int:
    """Measures and prints (under `launch`, on the chief) the all-reduce table; --json saves it, never over a file."""
    from bench_lib.engine import slurm  # imports TensorFlow only for a Slurm cluster

    try:
        cluster = slurm.resolve(args.cluster)
        spec = spec_of(args, cluster)
        collective.check_machine(spec, collective.visible_gpus())
        swept = sizes(args)
    except ValueError as error:
        return fail(str(error))
    if args.json is not None and Path(args.json).exists():
        return fail(f"--json {args.json} exists already; choose another path (results are never overwritten)")
    heartbeat.start()
    from bench_lib.engine import strategy as strategy_lib
    from bench_lib.probes import allreduce_timing as allreduce
    from bench_lib.record.files import write_atomic

    try:
        strategy_lib.configure_for(spec, cluster)
        rows = allreduce.measure(strategy_lib.build_strategy(spec), swept)
        if cluster is not None and not cluster.is_chief:
            return 0  # the chief prints and saves
        print("\n".join(table(spec, rows)), flush=True)
        if args.json is not None:
            write_atomic(args.json, document(spec, rows))
            print(f"wrote {args.json}")
    except (RuntimeError, OSError) as error:
        return fail(str(error))
    return 0
