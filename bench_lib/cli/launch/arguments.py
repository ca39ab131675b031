"""The `launch` command's options: N local workers of one multi_worker cluster (launcher.py runs them)."""

from __future__ import annotations

import argparse


def add_command(commands: argparse._SubParsersAction) -> None:
    """The `launch` command's options."""
    launch = commands.add_parser(
        "launch",
        help="run a command as N local workers of one multi_worker cluster",
        usage="%(prog)s --workers N [--replicas-per-worker R] [--stop-timeout S] [--heartbeat-timeout S] "
        "[--netns [--netem ARGS]] -- COMMAND ...",
        description="Starts N copies of COMMAND on this machine, each with its own TF_CONFIG (free loopback ports, "
        "or with --netns its own network namespace) and TFBENCH_REPLICAS_PER_WORKER=R; streams worker 0's (the "
        "chief's) output and exits with its status. A worker that cannot start, exits non-zero, dies or stops "
        "sending heartbeats stops every other worker, and the launcher exits non-zero naming it and its last output.",
    )
    launch.add_argument("--workers", type=int, required=True, help="worker processes to start")
    launch.add_argument(
        "--replicas-per-worker", type=int, default=1, help="replicas in each worker (default %(default)s)"
    )
    launch.add_argument(
        "--stop-timeout",
        type=float,
        default=30.0,
        help="seconds a worker gets to end after the chief exited or after SIGTERM, before it is killed "
        "(default %(default)s)",
    )
    launch.add_argument("--all-output", action="store_true", help="stream every worker's output, not only the chief's")
    launch.add_argument(
        "--heartbeat-timeout",
        type=float,
        default=30.0,
        help="seconds a worker's heartbeat may be silent (a worker alive but stopped or wedged) before the "
        "launch ends naming it (default %(default)s)",
    )
    launch.add_argument(
        "--netns",
        action="store_true",
        help="root only: run each worker in its own network namespace, joined to the others by a veth pair "
        "and a bridge on 198.18.0.0/24, so traffic crosses real interfaces; the namespaces are removed at the end",
    )
    launch.add_argument(
        "--netem",
        default=None,
        metavar="ARGS",
        help="with --netns: shape every worker's link with `tc qdisc add dev eth0 root netem ARGS`, e.g. \"delay 2ms "
        'rate 1gbit"',
    )
