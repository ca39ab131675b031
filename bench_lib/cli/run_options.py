"""The `run` command's options, one per RunSpec field and named after it, and the RunSpec they describe.

Every field of RunSpec is an option `--field-name` whose help is the field's declaration
(bench_lib/config/spec.py); ALIASES keeps the spellings the command line had before its options
were named after the fields. An option left out leaves the field at RunSpec's default; the
cluster's shape (replicas and workers) comes from bench_lib.config.cluster.shape.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from pathlib import Path

from bench_lib.config import cluster as cluster_lib
from bench_lib.config.spec import RunSpec

# Older spellings of some options: each still sets its field.
ALIASES = {
    "global_batch_size": ("--batch-size",),
    "accumulation_steps": ("--accumulation",),
    "noise_scale_batch_sizes": ("--noise-scale-batches",),
    "collective_timeout_s": ("--collective-timeout",),
}
# The shape fields, worked out with the cluster rather than read as given.
SHAPE_FIELDS = ("replicas", "workers")


def option_name(field: str) -> str:
    """The option that sets a RunSpec field: global_batch_size -> --global-batch-size."""
    return "--" + field.replace("_", "-")


def add_run_options(run: argparse.ArgumentParser) -> None:
    """One option per RunSpec field, then the options of the run itself (cluster, output)."""
    hints = typing.get_type_hints(RunSpec)
    for field in dataclasses.fields(RunSpec):
        _add_field_option(run, field, hints[field.name])
    _add_cluster_options(run)
    _add_output_options(run)


def _add_field_option(group: argparse.ArgumentParser, field: dataclasses.Field, hint: object) -> None:
    """An option whose value goes to args.<field> only when given (argparse.SUPPRESS), so RunSpec's default holds."""
    names = (option_name(field.name), *ALIASES.get(field.name, ()))
    help_text = _help(field)
    if hint is bool:
        group.add_argument(*names, dest=field.name, action="store_true", default=argparse.SUPPRESS, help=help_text)
        return
    value_type, metavar = _value_type(hint), field.metadata.get("metavar")
    group.add_argument(
        *names, dest=field.name, type=value_type, default=argparse.SUPPRESS, metavar=metavar, help=help_text
    )


def _help(field: dataclasses.Field) -> str:
    """The field's help, its allowed values and its default; '%' escaped for argparse."""
    text = field.metadata.get("help", "")
    choices = field.metadata.get("choices")
    if callable(choices):
        choices = choices()
    if choices:
        text = f"one of {', '.join(choices)}: {text}"
    default = field.default
    if default is not None and not isinstance(default, bool) and "(default" not in text:
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        text += f" (default {shown})"
    return text.replace("%", "%%")


def _value_type(hint: object) -> typing.Callable[[str], object]:
    """int, float or str for a field of that type (or that type | None); a comma list for a tuple of ints."""
    if isinstance(hint, types.UnionType):  # X | None
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    kind = hint
    if typing.get_origin(kind) is tuple:
        return _whole_numbers
    return kind


def _whole_numbers(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: comma-separated whole numbers") from None


def _add_cluster_options(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--cluster",
        default="auto",
        help=f"multi_worker: where the cluster comes from, one of {', '.join(cluster_lib.SOURCES)}; auto is "
        "TF_CONFIG if set, else the Slurm job step when srun started 2 tasks or more (default %(default)s)",
    )
    run.add_argument(
        "--replicas-per-worker",
        type=int,
        default=None,
        help=f"multi_worker only: replicas in each worker (default ${cluster_lib.REPLICAS_PER_WORKER_ENV}, else 1); "
        "the number of workers comes from TF_CONFIG",
    )


def _add_output_options(run: argparse.ArgumentParser) -> None:
    """Where the result goes and what is printed."""
    run.add_argument("--json", type=Path, default=None, help="write the result here (never overwrites a file)")
    run.add_argument(
        "--trace",
        type=Path,
        default=None,
        metavar="DIR",
        help="after training, write a TensorFlow profiler trace of a few steps into DIR/<id> (TensorBoard profile tab)",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no per-epoch progress lines")
    run.add_argument(
        "--verbose",
        action="store_true",
        help="also show TensorFlow's start-up notices (for all of its C++ log lines set TF_CPP_MIN_LOG_LEVEL=0)",
    )


def spec_from_args(args: argparse.Namespace, cluster: cluster_lib.Cluster | None = None) -> RunSpec:
    """The RunSpec of `run`'s options: each given option sets its field, the others keep RunSpec's defaults.

    Raises:
      ValueError: a field's value is not allowed (RunSpec's one-line message), or the shape does not
        fit the cluster (cluster.shape's).
    """
    fields = dataclasses.fields(RunSpec)
    given = {field.name: getattr(args, field.name) for field in fields if hasattr(args, field.name)}
    default_strategy = next(field.default for field in fields if field.name == "strategy")
    shape = cluster_lib.shape(
        given.get("strategy", default_strategy),
        cluster,
        replicas=given.get("replicas"),
        workers=given.get("workers"),
        replicas_per_worker=args.replicas_per_worker,
    )
    return RunSpec(**{**given, **shape})
