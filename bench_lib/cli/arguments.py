"""The command line's arguments: the parser behind `tfbench --help`, the name the program goes by, and
the RunSpec that `run`'s options describe."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from bench_lib.cli import ab, bandwidth, launch_arguments, machines, reference_run
from bench_lib.config import cluster as cluster_lib
from bench_lib.config import collective, datasets, models
from bench_lib.config import spec as spec_lib
from bench_lib.config.spec import RunSpec


def program() -> str:
    """The program as the user invoked it, for --help and error lines: the console script's name
    `tfbench`, else `python -m bench_lib`."""
    return "tfbench" if Path(sys.argv[0]).name == "tfbench" else "python -m bench_lib"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage plus a line
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """`tfbench` (or `python -m bench_lib`): run, launch, allreduce, report, compare and trend, with their options."""
    parser = _Parser(prog=program(), description="tfbench: TensorFlow training benchmarks.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="train and measure one configuration")
    d = RunSpec()
    _add_spec_options(run, d)
    _add_question_options(run, d)
    _add_performance_options(run, d)
    _add_collective_options(run, d)
    _add_output_options(run)
    launch_arguments.add_parser(commands)
    bandwidth.add_parser(commands)
    ab.add_parser(commands)
    _add_saved_run_commands(commands)
    machines.add_parser(commands)
    reference_run.add_parser(commands)
    return parser


def _add_spec_options(run: argparse.ArgumentParser, d: RunSpec) -> None:
    """What is trained, on what, how: the core spec fields."""
    run.add_argument(
        "--strategy", default=d.strategy, help=f"one of {', '.join(spec_lib.STRATEGIES)} (default %(default)s)"
    )
    run.add_argument(
        "--replicas",
        type=int,
        default=None,
        help="replicas for mirrored: GPUs, else logical CPU devices (default 1); "
        "for multi_worker: workers x --replicas-per-worker",
    )
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
    run.add_argument(
        "--batch-size",
        type=int,
        default=d.global_batch_size,
        help="global batch size per optimizer step (default %(default)s)",
    )
    run.add_argument(
        "--accumulation",
        type=int,
        default=d.accumulation_steps,
        help="micro-batches accumulated per optimizer step (default %(default)s)",
    )
    run.add_argument("--epochs", type=int, default=d.epochs, help="passes over the training set (default %(default)s)")
    run.add_argument("--steps", type=int, default=None, help="optimizer-step budget; overrides --epochs")
    run.add_argument(
        "--optimizer", default=d.optimizer, help=f"one of {', '.join(spec_lib.OPTIMIZERS)} (default %(default)s)"
    )
    run.add_argument("--learning-rate", type=float, default=None, help="default: Keras's default for the optimizer")
    run.add_argument(
        "--seed", type=int, default=d.seed, help="seed for weights, shuffling and dropout (default %(default)s)"
    )
    run.add_argument("--model", default=d.model, help=f"one of {', '.join(models.names())} (default %(default)s)")
    _add_transformer_options(run)
    run.add_argument("--dropout", type=float, default=d.dropout, help="dropout rate (default %(default)s)")
    run.add_argument(
        "--dataset",
        default=d.dataset,
        help=f"one of {', '.join(datasets.DATASETS)}, or {datasets.TFDS_ANY} for a set prepared by TensorFlow "
        "Datasets (default %(default)s)",
    )
    run.add_argument(
        "--data-path",
        default=None,
        help="mnist/fashion_mnist .npz or folder, or cifar10/cifar100 folder (default: the Keras cache); "
        "for tfds:NAME the TFDS data directory (default: $TFDS_DATA_DIR or ~/tensorflow_datasets)",
    )
    run.add_argument(
        "--precision", default=d.precision, help=f"one of {', '.join(spec_lib.PRECISIONS)} (default %(default)s)"
    )


def _add_transformer_options(run: argparse.ArgumentParser) -> None:
    """--transformer-layers and the other size fields of model 'transformer'."""
    own = models.declared("transformer").transformer.as_fields()
    for field, what in zip(models.SIZE_FIELDS, ("encoder blocks", "features per token", "attention heads",
                                                "token ids per example"), strict=True):  # fmt: skip
        run.add_argument(
            "--" + field.replace("_", "-"),
            type=int,
            default=None,
            help=f"--model transformer: {what} (default {own[field]})",
        )


def _add_question_options(run: argparse.ArgumentParser, d: RunSpec) -> None:
    """BN, noise scale, warm-up, seeds, LR scaling, target accuracy and sharpness."""
    run.add_argument(
        "--bn",
        default=None,
        help=f"BatchNormalization: one of {', '.join(spec_lib.BATCH_NORMS)} (default: as the model name says; "
        "mlp_bn is local)",
    )
    run.add_argument(
        "--noise-scale-batches",
        default=None,
        metavar="SMALL,BIG",
        help="measure the gradient noise scale from gradient norms at these two batch sizes, e.g. 16,256",
    )
    run.add_argument(
        "--noise-scale-interval",
        type=int,
        default=d.noise_scale_interval,
        help="optimizer steps between noise-scale measurements (default %(default)s)",
    )
    run.add_argument(
        "--warmup-steps", type=int, default=d.warmup_steps, help="first steps left out of timing (default %(default)s)"
    )
    run.add_argument(
        "--seeds", type=int, default=d.seeds, help="repeat with seeds seed, seed+1, ... and report mean, std, 95%% CI"
    )
    run.add_argument(
        "--lr-scaling",
        default=d.lr_scaling,
        help=f"one of {', '.join(spec_lib.LR_SCALINGS)}: scale the learning rate with batch / base batch",
    )
    run.add_argument(
        "--base-batch-size",
        type=int,
        default=d.base_batch_size,
        help="batch size the learning rate is meant for (default %(default)s)",
    )
    run.add_argument(
        "--warmup-epochs",
        type=float,
        default=d.warmup_epochs,
        help="linear warm-up from the base to the scaled learning rate (default %(default)s)",
    )
    run.add_argument("--target-accuracy", type=float, default=None, help="record steps/examples/seconds to reach it")
    run.add_argument(
        "--target-check-steps", type=int, default=None, help="also check the target every N steps (default: per epoch)"
    )
    run.add_argument("--stop-at-target", action="store_true", help="end training when the target is reached")
    run.add_argument(
        "--sharpness-samples",
        type=int,
        default=d.sharpness_samples,
        help="random perturbations of the sharpness probe; 0 = off (default %(default)s)",
    )
    run.add_argument(
        "--sharpness-epsilon",
        type=float,
        default=d.sharpness_epsilon,
        help="relative size of the sharpness perturbations (default %(default)s)",
    )


def _add_output_options(run: argparse.ArgumentParser) -> None:
    """Determinism, the memory limit and where the result goes."""
    run.add_argument(
        "--deterministic", action="store_true", help="TensorFlow op determinism: reruns give bit-identical losses"
    )
    run.add_argument(
        "--memory-limit-mib",
        type=int,
        default=None,
        help="stop with status oom once the run allocates more than this through TensorFlow",
    )
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


def _units(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: comma-separated whole numbers, e.g. 512,512") from None


def _add_performance_options(run: argparse.ArgumentParser, d: RunSpec) -> None:
    run.add_argument(
        "--hidden-units",
        type=_units,
        default=d.hidden_units,
        help="hidden Dense widths, e.g. 512,512 (default: the seed's 128)",
    )
    run.add_argument(
        "--steps-per-execution",
        type=int,
        default=d.steps_per_execution,
        help="optimizer steps per tf.function call (default %(default)s)",
    )
    run.add_argument("--jit-compile", action="store_true", help="compile each replica's step with XLA")
    run.add_argument("--input-cache", action="store_true", help="cache the examples in the tf.data pipeline")
    run.add_argument(
        "--prefetch-batches",
        type=int,
        default=d.prefetch_batches,
        help="tf.data prefetch depth, 0 for none (default %(default)s)",
    )
    run.add_argument(
        "--distribute-input",
        default=d.distribute_input,
        help="dataset (experimental_distribute_dataset) or function (distribute_datasets_from_function) "
        "(default %(default)s)",
    )


def _add_collective_options(run: argparse.ArgumentParser, d: RunSpec) -> None:
    """multi_worker's all-reduce: TensorFlow's CommunicationOptions."""
    run.add_argument(
        "--collective",
        default=d.collective,
        help=f"multi_worker all-reduce: one of {', '.join(collective.COLLECTIVES)}; nccl needs a GPU per replica "
        "(default %(default)s)",
    )
    run.add_argument(
        "--bytes-per-pack",
        type=int,
        default=d.bytes_per_pack,
        help="multi_worker: all-reduce the gradients in packs of about this many bytes; 0 = one pack (default 0)",
    )
    run.add_argument(
        "--collective-timeout",
        type=float,
        default=d.collective_timeout_s,
        help="multi_worker: seconds after which an unfinished all-reduce fails instead of waiting (default: none)",
    )


RUN_HELP = "a saved run: a path, a folder, a glob, an NNNN counter or a save name in --storage"


def _add_saved_run_commands(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser("report", help="tables, plots, index.html and results.csv of saved runs")
    report.add_argument("runs", nargs="*", metavar="RUN", help=RUN_HELP + " (default: the newest saved run)")
    report.add_argument("--out", type=Path, default=None, help="folder of the report (default: REPORTS/<run name>)")
    compare = commands.add_parser("compare", help="better / worse / same per metric between two saved runs")
    compare.add_argument("base", metavar="BASE", help=RUN_HELP)
    compare.add_argument("new", metavar="NEW", help=RUN_HELP)
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
    for sub in (compare, trend):
        sub.add_argument(
            "--fail-on",
            default="",
            help="thresholds, e.g. time:10%%,throughput:10%%,accuracy:1pt,memory:10%% (these are the defaults). "
            "A timing change must exceed its threshold AND stand out from the between-process noise "
            "estimated from the runs; where the noise (or, with too few timed configurations, a fixed "
            "noise floor) is wider than the threshold, the noise decides, the report says so, and "
            "--bench-processes N in the suite narrows it",
        )
        sub.add_argument(
            "--fail-insensitive",
            action="store_true",
            help="exit 3 (when nothing is worse) if any timing comparison could not have seen a change of "
            "the threshold's size (at its α and 80%% power)",
        )
    for sub in (report, compare, trend):
        sub.add_argument("--storage", type=Path, default=Path(".benchmarks"), help="pytest-benchmark's storage folder")
        sub.add_argument("--reports", type=Path, default=Path("reports"), help="where reports go (default reports/)")


def spec_from_args(args: argparse.Namespace, cluster: cluster_lib.Cluster | None = None) -> RunSpec:
    """The RunSpec of `run`'s options: each option named after a RunSpec field goes to that field.

    Raises:
      ValueError: a field's value is not allowed (RunSpec's one-line message), or as _shape.
    """
    replicas, workers = _shape(args, cluster)
    options = vars(args)
    named_alike = {field.name: options[field.name] for field in dataclasses.fields(RunSpec) if field.name in options}
    return RunSpec(
        **{
            **named_alike,
            "replicas": replicas,
            "workers": workers,
            "global_batch_size": args.batch_size,
            "accumulation_steps": args.accumulation,
            "noise_scale_batch_sizes": _batch_pair(args.noise_scale_batches),
            "collective_timeout_s": args.collective_timeout,
        }
    )


def _shape(args: argparse.Namespace, cluster: cluster_lib.Cluster | None) -> tuple[int, int]:
    """(replicas, workers) of a run: from the options, and for multi_worker from TF_CONFIG too.

    Raises:
      ValueError: replicas that do not match the cluster, or replicas_per_worker without multi_worker.
    """
    if args.strategy != "multi_worker":
        if args.replicas_per_worker is not None:
            raise ValueError(
                f"replicas_per_worker={args.replicas_per_worker!r} is not allowed: only for strategy='multi_worker'"
            )
        return (1 if args.replicas is None else args.replicas), 1
    per_worker = args.replicas_per_worker
    if per_worker is None:
        per_worker = cluster_lib.replicas_per_worker_from_environ()
    elif per_worker < 1:
        raise ValueError(f"replicas_per_worker={per_worker!r} is not allowed: a whole number >= 1")
    workers = cluster.workers if cluster else 1
    if args.replicas is not None and args.replicas != workers * per_worker:
        raise ValueError(
            f"replicas={args.replicas!r} is not allowed: multi_worker runs workers x replicas_per_worker = "
            f"{workers} x {per_worker} = {workers * per_worker} replicas (workers from TF_CONFIG)"
        )
    return workers * per_worker, workers


def _batch_pair(text: str | None) -> tuple[int, ...] | None:
    """'16,256' -> (16, 256); RunSpec checks the pair itself.

    Raises:
      ValueError: text is not comma-separated whole numbers.
    """
    if text is None:
        return None
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(
            f"--noise-scale-batches={text!r} is not allowed: two comma-separated whole numbers, e.g. 16,256"
        ) from None
