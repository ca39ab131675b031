"""pytest set-up shared by benchmarks/ and tests/: options, profiles, devices and the benchmark runner.

The profile and every override are read once, here, when pytest starts; devices are
configured then too, before any TensorFlow op, so that mirrored runs find their replicas, and
so is the multi_worker strategy, which TensorFlow allows only before any other op. Under a
TF_CONFIG (one process per worker, e.g. from `python -m bench_lib launch`) every worker runs
the same grid in the same order; single-process configurations run on the chief only, and
only the chief saves or reports anything.
"""

from __future__ import annotations

import dataclasses
import itertools
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bench_lib import cluster as cluster_lib
from bench_lib.spec import RunSpec


@dataclass(frozen=True, kw_only=True)
class Profile:
    """How big a suite run is. Grids are per question; benchmarks pick from them."""

    name: str
    epochs: int
    dataset: str
    strategies: tuple[str, ...]
    replicas: int
    batch_sizes: tuple[int, ...]
    effective_batch_size: int
    accumulation_steps: tuple[int, ...]
    accumulation_models: tuple[str, ...]
    bn_batch_sizes: tuple[int, ...]
    throughput_batch_sizes: tuple[int, ...]
    throughput_models: tuple[str, ...]
    throughput_steps: int
    warmup_steps: int
    fixed_steps: int  # the batch-size question's fixed-steps budget
    seeds: int | None  # --bench-seeds: every question; None: each question's own default
    question_seeds: int  # the default of the questions that need intervals (LR scaling, time to accuracy)
    lr_batch_sizes: tuple[int, ...]
    lr_optimizers: tuple[str, ...]
    lr_warmup_epochs: float
    sharpness_samples: int
    target_accuracy: float
    target_batch_sizes: tuple[int, ...]
    target_lr_scalings: tuple[str, ...]
    target_check_examples: int
    target_max_epochs: int
    precisions: tuple[str, ...]
    precision_models: tuple[str, ...]
    sync_bn_modes: tuple[str, ...]
    sync_bn_batch_sizes: tuple[int, ...]
    sync_bn_epochs: int
    noise_scale_batch_sizes: tuple[int, int]
    noise_scale_models: tuple[str, ...]
    # The multi_worker cluster: workers from TF_CONFIG (1 without), replicas in each.
    workers: int = 1
    replicas_per_worker: int = 1
    harness_batch_sizes: tuple[int, ...]
    harness_hidden_units: tuple[int, ...]
    harness_steps: int
    mfu_batch_sizes: tuple[int, ...]
    knob_batch_size: int
    # --bench-rounds: timed rounds of every configuration, replacing its epoch or step budget.
    rounds: int | None = None

    max_batch_model: str
    max_batch_limit_mib: int
    max_batch_start: int
    max_batch_resolution: int
    deterministic: bool = False
    memory_limit_mib: int | None = None

    def spec(self, **fields: object) -> RunSpec:
        """A RunSpec with this profile's defaults under the given fields (and --bench-seeds over all)."""
        base = {
            "epochs": self.epochs,
            "dataset": self.dataset,
            "warmup_steps": self.warmup_steps,
            "deterministic": self.deterministic,
            "memory_limit_mib": self.memory_limit_mib,
        }
        forced = {"seeds": self.seeds} if self.seeds is not None else {}
        spec = RunSpec(**{**base, **fields, **forced})
        if self.rounds is not None:
            # Warm-up takes whole calls, so it is rounded up to a multiple of steps_per_execution.
            k = spec.steps_per_execution
            spec = spec.replace(steps=(-(-spec.warmup_steps // k) + self.rounds) * k)
        return spec

    def seeds_of_question(self) -> int:
        return self.seeds if self.seeds is not None else self.question_seeds

    def replicas_for(self, strategy: str) -> int:
        return self.shape(strategy)["replicas"]

    def shape(self, strategy: str) -> dict[str, object]:
        """The strategy, replicas and, for multi_worker, workers fields of a spec."""
        if strategy == "multi_worker":
            return {"strategy": strategy, "replicas": self.workers * self.replicas_per_worker, "workers": self.workers}
        return {"strategy": strategy, "replicas": 1 if strategy == "one_device" else self.replicas}

    def grid(self, **axes: object) -> list[dict[str, object]]:
        """Spec fields for every strategy crossed with every combination of the axes.

        An axis is a tuple of values or a single value, e.g.
        grid(global_batch_size=(32, 128), model="cnn").
        """
        values = [v if isinstance(v, tuple) else (v,) for v in axes.values()]
        return [
            {**self.shape(strategy), **dict(zip(axes, point, strict=True))}
            for strategy in self.strategies
            for point in itertools.product(*values)
        ]


QUICK = Profile(
    name="quick",
    epochs=5,
    dataset="digits",
    strategies=("one_device", "mirrored"),
    replicas=2,
    batch_sizes=(32, 128, 512),
    effective_batch_size=256,
    accumulation_steps=(1, 4, 8),
    accumulation_models=("mlp", "cnn"),
    bn_batch_sizes=(8, 64, 256),
    throughput_batch_sizes=(64, 256, 1024),
    throughput_models=("mlp", "cnn"),
    throughput_steps=15,
    warmup_steps=3,
    fixed_steps=220,  # batch 32's budget at 5 epochs of digits
    seeds=None,
    question_seeds=3,
    lr_batch_sizes=(32, 512),
    lr_optimizers=("adam",),
    lr_warmup_epochs=1.0,
    sharpness_samples=3,
    target_accuracy=0.85,
    target_batch_sizes=(16, 128, 1024),
    target_lr_scalings=("linear",),
    target_check_examples=256,
    target_max_epochs=40,
    precisions=("float32", "mixed_bfloat16", "mixed_float16"),
    precision_models=("mlp",),
    sync_bn_modes=("local", "sync"),
    sync_bn_batch_sizes=(16,),
    sync_bn_epochs=2,
    noise_scale_batch_sizes=(16, 512),
    noise_scale_models=("mlp",),
    harness_batch_sizes=(64, 512),
    harness_hidden_units=(512, 512),
    harness_steps=30,
    mfu_batch_sizes=(512, 2048),
    knob_batch_size=256,
    max_batch_model="cnn",
    max_batch_limit_mib=128,
    max_batch_start=64,
    max_batch_resolution=32,
)
FULL = dataclasses.replace(
    QUICK,
    name="full",
    epochs=20,
    dataset="mnist_5k",
    batch_sizes=(16, 32, 64, 128, 256, 512, 1024),
    effective_batch_size=512,
    accumulation_steps=(1, 2, 4, 8, 16),
    bn_batch_sizes=(4, 8, 16, 32, 64, 128, 256),
    throughput_batch_sizes=(64, 128, 256, 512, 1024, 2048, 4096),
    throughput_steps=100,
    warmup_steps=5,
    fixed_steps=2500,  # batch 32's budget at 20 epochs of mnist_5k
    question_seeds=5,
    lr_batch_sizes=(32, 128, 512, 1024),
    lr_optimizers=("adam", "momentum"),
    lr_warmup_epochs=2.0,
    sharpness_samples=10,
    target_accuracy=0.9,
    target_batch_sizes=(16, 32, 64, 128, 256, 512, 1024, 2048),
    target_lr_scalings=("none", "sqrt", "linear"),
    target_check_examples=1024,
    target_max_epochs=60,
    precision_models=("mlp", "cnn"),
    sync_bn_modes=("none", "local", "sync"),
    sync_bn_batch_sizes=(8, 16, 32, 64, 128),
    sync_bn_epochs=20,
    noise_scale_models=("mlp", "mlp_bn", "cnn"),
    harness_batch_sizes=(64, 256, 1024, 4096),
    harness_steps=100,
    mfu_batch_sizes=(512, 1024, 2048, 4096),
    max_batch_limit_mib=1024,
    max_batch_resolution=1,
)
PROFILES = {p.name: p for p in (QUICK, FULL)}


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


def _target_accuracy(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value <= 1:
        raise pytest.UsageError(f"--bench-target-accuracy={text!r} is not allowed: a test accuracy in (0, 1]")
    return value


def _one_int(option: str, text: str, minimum: int = 1) -> int:
    values = _int_list(option, text, minimum)
    if len(values) != 1:
        raise pytest.UsageError(f"{option}={text!r} is not allowed: one whole number")
    return values[0]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tfbench")
    group.addoption("--bench-profile", default="quick", help="quick (default, under 5 min on 2 cores) or full")
    group.addoption("--bench-strategies", default=None, help="comma-separated, e.g. one_device,mirrored")
    group.addoption("--bench-replicas", default=None, help="replicas for mirrored runs (default 2)")
    group.addoption(
        "--bench-batch-sizes", default=None, help="global batch sizes of the batch-size and batch-norm questions"
    )
    group.addoption(
        "--bench-dataset",
        default=None,
        help="dataset of the accuracy questions (digits, mnist, fashion_mnist, mnist_5k)",
    )
    group.addoption("--bench-epochs", default=None, help="epochs of the accuracy questions")
    group.addoption(
        "--bench-seeds",
        default=None,
        help="seeds per configuration, every question (default 1; LR scaling and time to accuracy: 3)",
    )
    group.addoption(
        "--bench-target-accuracy", default=None, help="test accuracy of the time-to-accuracy question (quick: 0.85)"
    )
    group.addoption("--bench-plot-dir", default=None, help="write the steps-to-target plot into this folder")
    group.addoption(
        "--bench-precisions", default=None, help="precisions of the precision question, e.g. float32,mixed_bfloat16"
    )
    group.addoption(
        "--bench-noise-scale-batches",
        default=None,
        help="small,big batch sizes of the gradient-noise-scale probe (default 16,512)",
    )
    group.addoption(
        "--bench-replicas-per-worker",
        default=None,
        help=f"replicas in each worker of multi_worker runs (default ${cluster_lib.REPLICAS_PER_WORKER_ENV}, "
        "set by `python -m bench_lib launch`, else 1)",
    )
    group.addoption(
        "--bench-rounds", default=None, help="timed rounds of every configuration (replaces its epochs or steps)"
    )
    group.addoption("--bench-warmup", default=None, help="warm-up optimizer steps of every configuration")
    group.addoption(
        "--bench-memory-limit-mib",
        default=None,
        help="stop a configuration with status oom once it allocates more than this through TensorFlow; "
        "also the limit of the max_batch_size search",
    )
    group.addoption(
        "--bench-deterministic",
        action="store_true",
        help="TensorFlow op determinism on (seeds are always fixed): reruns give bit-identical losses",
    )


def _cluster_changes(config: pytest.Config, cluster: cluster_lib.Cluster | None) -> dict[str, object]:
    """Profile fields of a multi-worker run: its shape, and multi_worker among the default strategies."""
    changes: dict[str, object] = {"workers": cluster.workers if cluster else 1}
    if (text := config.getoption("--bench-replicas-per-worker")) is not None:
        changes["replicas_per_worker"] = _one_int("--bench-replicas-per-worker", text)
    else:
        try:
            changes["replicas_per_worker"] = cluster_lib.replicas_per_worker_from_environ()
        except ValueError as error:
            raise pytest.UsageError(f"tfbench options: {error}") from None
    if cluster is not None and config.getoption("--bench-strategies") is None:
        changes["strategies"] = ("one_device", "multi_worker")
    return changes


def _profile(config: pytest.Config, cluster: cluster_lib.Cluster | None) -> Profile:
    name = config.getoption("--bench-profile")
    if name not in PROFILES:
        raise pytest.UsageError(f"--bench-profile={name!r} is not allowed: choose one of {', '.join(PROFILES)}")
    profile = PROFILES[name]
    changes: dict[str, object] = _cluster_changes(config, cluster)
    if (text := config.getoption("--bench-strategies")) is not None:
        changes["strategies"] = tuple(s.strip() for s in text.split(","))
    if (text := config.getoption("--bench-replicas")) is not None:
        changes["replicas"] = _one_int("--bench-replicas", text)
    if (text := config.getoption("--bench-batch-sizes")) is not None:
        changes["batch_sizes"] = changes["bn_batch_sizes"] = _int_list("--bench-batch-sizes", text)
    if (text := config.getoption("--bench-dataset")) is not None:
        changes["dataset"] = text
    if (text := config.getoption("--bench-epochs")) is not None:
        changes["epochs"] = changes["sync_bn_epochs"] = _one_int("--bench-epochs", text)
    if (text := config.getoption("--bench-seeds")) is not None:
        changes["seeds"] = _one_int("--bench-seeds", text)
    if (text := config.getoption("--bench-target-accuracy")) is not None:
        changes["target_accuracy"] = _target_accuracy(text)
    if (text := config.getoption("--bench-precisions")) is not None:
        changes["precisions"] = tuple(p.strip() for p in text.split(","))
    if (text := config.getoption("--bench-noise-scale-batches")) is not None:
        changes["noise_scale_batch_sizes"] = _int_list("--bench-noise-scale-batches", text)
    if (text := config.getoption("--bench-rounds")) is not None:
        changes["rounds"] = _one_int("--bench-rounds", text)
    if (text := config.getoption("--bench-warmup")) is not None:
        changes["warmup_steps"] = _one_int("--bench-warmup", text, minimum=0)
    if (text := config.getoption("--bench-memory-limit-mib")) is not None:
        changes["memory_limit_mib"] = changes["max_batch_limit_mib"] = _one_int("--bench-memory-limit-mib", text)
    changes["deterministic"] = bool(config.getoption("--bench-deterministic"))
    if name == "full" and "dataset" not in changes:
        changes["dataset"] = _full_dataset()
    profile = dataclasses.replace(profile, **changes)
    # Check strategies, replicas, dataset and epochs through RunSpec before TensorFlow starts;
    # batch sizes are checked per grid point, where an impossible one is skipped with its reason.
    for strategy in profile.strategies:
        try:
            profile.spec(**profile.shape(strategy), global_batch_size=profile.replicas_for(strategy))
        except ValueError as error:
            raise pytest.UsageError(f"tfbench options: {error}") from None
    try:
        for precision in profile.precisions:
            profile.spec(precision=precision)
        profile.spec(noise_scale_batch_sizes=profile.noise_scale_batch_sizes)
    except ValueError as error:
        raise pytest.UsageError(f"tfbench options: {error}") from None
    return profile


def _full_dataset() -> str:
    """Real MNIST when its Keras cache file is present, else the 5,000-image MNIST subset."""
    from bench_lib.data import keras_cache_dir

    return "mnist" if (keras_cache_dir() / "mnist.npz").is_file() else "mnist_5k"


# tryfirst: pytest-benchmark and junitxml read their output options in their own pytest_configure.
@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    try:
        cluster = cluster_lib.from_environ()  # checked before TensorFlow starts
    except ValueError as error:
        raise pytest.UsageError(f"tfbench: {error}") from None
    profile = _profile(config, cluster)
    config.stash[_PROFILE] = profile
    config.stash[_CLUSTER] = cluster
    if cluster is not None and not cluster.is_chief:
        _write_nothing(config)
    from bench_lib import strategy

    # Two replicas at least: the library tests compare mirrored with one device.
    strategy.configure_devices(max(profile.replicas, 2, profile.replicas_per_worker))
    if "multi_worker" in profile.strategies:
        try:
            strategy.configure_multi_worker(profile.replicas_per_worker, cluster)
        except RuntimeError as error:
            raise pytest.UsageError(f"tfbench: {error}") from None
    # SIGTERM ends the session like Ctrl-C: pytest finishes it, pytest-benchmark saves what ran.
    # Not in a cluster's worker: the launcher's SIGTERM must stop it even inside a collective op.
    if cluster is None:
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


def _write_nothing(config: pytest.Config) -> None:
    """A non-chief worker saves no benchmark data and writes no report: the chief does."""
    for option in ("benchmark_save", "benchmark_json", "benchmark_histogram", "benchmark_csv", "xmlpath"):
        if hasattr(config.option, option):
            setattr(config.option, option, None)
    for option in ("benchmark_autosave", "benchmark_save_data", "benchmark_cprofile_dump"):
        if hasattr(config.option, option):
            setattr(config.option, option, False)


_PROFILE = pytest.StashKey[Profile]()
_CLUSTER = pytest.StashKey["cluster_lib.Cluster | None"]()
_RESULTS = pytest.StashKey[list]()
_INTERRUPTED = pytest.StashKey[bool]()
_LINES = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest) -> Profile:
    return request.config.stash[_PROFILE]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrizes every benchmark that takes `spec` with its module's grid(profile)."""
    if "spec" not in metafunc.fixturenames or not hasattr(metafunc.module, "grid"):
        return
    profile = metafunc.config.stash[_PROFILE]
    params = []
    for fields in metafunc.module.grid(profile):
        try:
            spec = profile.spec(**fields)
        except ValueError as error:
            label = "-".join(f"{k}{v}" for k, v in fields.items())
            params.append(pytest.param(None, id=label, marks=pytest.mark.skip(reason=str(error))))
            continue
        params.append(pytest.param(spec, id=spec.id))
    metafunc.parametrize("spec", params)


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    from bench_lib.machine import machine_info as tf_machine_info

    machine_info.update(tf_machine_info())
    profile, cluster = config.stash[_PROFILE], config.stash[_CLUSTER]
    machine_info["tfbench_profile"] = profile.name
    machine_info["tfbench_cluster"] = {
        "workers": profile.workers,
        "replicas_per_worker": profile.replicas_per_worker,
        "addresses": list(cluster.chief + cluster.worker) if cluster else [],
    }


@pytest.fixture
def summary_lines(request: pytest.FixtureRequest) -> list[str]:
    """Lines a benchmark adds to the end-of-session summary."""
    return request.config.stash.setdefault(_LINES, [])


@pytest.fixture
def measure_run(benchmark, request: pytest.FixtureRequest):
    """Trains `spec` with every training-step call timed by pytest-benchmark; returns the result dict.

    Each benchmark round is one call of the training step of the first seed: one optimizer step, or
    steps_per_execution of them (pytest-benchmark's times are then per call; the result's
    step_time_ms is per optimizer step). Warm-up rounds are excluded from timing; epoch-end
    evaluation and the divergence and memory-limit checks run in pedantic's untimed setup. The
    result's metrics and spec go to benchmark.extra_info, with `train_traces`, how often the step
    was traced. `extra`, if given, is called with the result dict and its returned figures are
    added to it. Further seeds (spec.seeds > 1) run untimed afterwards and the result combines them.
    A configuration that diverges or runs out of memory stops at once (its remaining rounds are not
    run) and passes with that status; any other error fails its test. Every configuration that is
    not 'ok' is left out of pytest-benchmark's `benchmarks` (it did not finish its rounds) and saved,
    with its status, under `tfbench_failures` in the same file.
    """
    from bench_lib import runner
    from bench_lib.result import with_scaling_efficiency

    question = request.node.originalname.removeprefix("test_")
    record = _recorder(request, question)

    def measure(spec: RunSpec, extra: Callable[[dict], dict] | None = None) -> dict:
        benchmark.group = request.node.originalname
        seeds_spec, spec = spec, spec.replace(seeds=1)
        _skip_unless_this_worker_takes_part(request.config, spec)
        try:
            prepared = runner.prepare(spec)
        except (FileNotFoundError, ValueError) as error:  # missing data file, or a batch the data cannot fill
            pytest.skip(str(error))
        except runner.NotOnEveryWorkerError as error:  # every worker knows: they all go on together
            record(runner.failed(spec, error).as_dict())
            pytest.fail(str(error), pytrace=False)
        except Exception as error:
            record(runner.failed(spec, error).as_dict())
            _stop_if_others_wait(spec, f"{spec.id}: could not start: {error}")
            pytest.fail(f"{spec.id}: could not start: {error}", pytrace=False)
        try:
            first = _timed_result(benchmark, prepared)
        finally:
            runner.release(prepared)
        if first.status in ("oom", "failed"):  # diverged is the same step on every worker
            _stop_if_others_wait(spec, f"{spec.id}: {first.status}: {first.error}")
        result = runner.complete_seeds(seeds_spec, first).as_dict()
        result["train_traces"] = prepared.trainer.train_traces
        if extra is not None and result["status"] == "ok":
            result.update(extra(result))
        result = with_scaling_efficiency(result, request.config.stash.get(_RESULTS, []))
        record(result)
        if result["status"] == "ok":
            benchmark.extra_info.update(result, question=question)
        else:
            benchmark.has_error = True  # pytest-benchmark then leaves it out of `benchmarks`
        if result["status"] == "failed":
            pytest.fail(f"{spec.id}: failed: {result['error']}", pytrace=False)
        return result

    return measure


def _timed_result(benchmark, prepared):
    """Runs the prepared configuration under pedantic; a stop ends it with a status (a RunResult)."""
    from bench_lib import runner
    from bench_lib.train import Diverged

    loop = prepared.loop
    warmup_calls, timed_calls = loop.planned_calls()
    if not timed_calls:
        prepared.probe.stop()
        pytest.skip(f"{loop.total_steps} steps leave none to time after {loop.warmup_steps} warm-up steps")
    try:
        try:
            benchmark.pedantic(loop.step, setup=loop.before_step, rounds=timed_calls, warmup_rounds=warmup_calls)
            loop.run()  # the rest of the budget when pytest-benchmark is disabled
        except Diverged:
            pass  # conclude() records the step
        return runner.conclude(prepared)
    except Exception as error:
        wall_s = time.perf_counter() - prepared.started_at
        return runner.failed(prepared.spec, error, wall_s, loop.steps_done)


def _recorder(request: pytest.FixtureRequest, question: str):
    """Keeps a result for the session summary and, when not 'ok', for the saved run's tfbench_failures."""
    name, group = request.node.name, request.node.originalname

    def record(result: dict) -> None:
        entry = {"question": question, "name": name, "group": group, **result}
        request.config.stash.setdefault(_RESULTS, []).append(entry)

    return record


def pytest_benchmark_update_json(config: pytest.Config, benchmarks, output_json: dict) -> None:
    """Adds every configuration that did not end 'ok' to the saved run, and marks an interrupted run."""
    results = config.stash.get(_RESULTS, [])
    output_json["tfbench_failures"] = [r for r in results if r["status"] != "ok"]
    output_json["tfbench_interrupted"] = config.stash.get(_INTERRUPTED, False)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int):
    # Outside pytest-benchmark's own sessionfinish wrapper, which saves the run.
    session.config.stash[_INTERRUPTED] = exitstatus == pytest.ExitCode.INTERRUPTED
    yield


@pytest.fixture
def measure_runs_to_target(benchmark, request: pytest.FixtureRequest):
    """Trains `spec` once per seed, each a whole run until its target (MLPerf's time-to-train).

    Each benchmark round is one seed's whole run — set-up, training, evaluations — so the
    benchmark's times are wall times to the target; the result combines the seeds and holds
    steps/examples/seconds_to_target (seconds: summed step time). Seeds that pytest-benchmark
    did not run (--benchmark-disable runs one round) run afterwards.
    """
    from bench_lib import runner, seeds

    question = request.node.originalname.removeprefix("test_")
    record = _recorder(request, question)

    def measure(spec: RunSpec) -> dict:
        benchmark.group = request.node.originalname
        _skip_unless_this_worker_takes_part(request.config, spec)
        pending, results = list(spec.seed_list), []

        def one_seed() -> None:
            results.append(runner.run_one(spec.replace(seed=pending.pop(0), seeds=1)))

        try:
            benchmark.pedantic(one_seed, rounds=len(pending), warmup_rounds=0)
            while pending:
                one_seed()
        except (FileNotFoundError, ValueError) as error:
            pytest.skip(str(error))
        result = seeds.combine(results).as_dict()
        benchmark.extra_info.update(result, question=question)
        record(result)
        if result["status"] != "ok":
            pytest.fail(f"{spec.id}: {result['status']}: {result['error']}", pytrace=False)
        return result

    return measure


def _skip_unless_this_worker_takes_part(config: pytest.Config, spec: RunSpec) -> None:
    """Under a cluster, single-process configurations run on the chief only.

    Depends on the spec alone, so every worker still meets the same multi-worker configurations
    in the same order.
    """
    cluster = config.stash[_CLUSTER]
    if cluster is not None and not cluster.is_chief and spec.workers == 1:
        pytest.skip(f"{cluster.task_name}: a single-process configuration runs on the chief only")


def _stop_if_others_wait(spec: RunSpec, message: str) -> None:
    """A multi-worker configuration that failed here leaves the other workers waiting in its
    all-reduce: end this worker's session, so that the launcher (or TensorFlow's heartbeat) ends theirs."""
    if spec.workers > 1:
        pytest.exit(f"{message}; this worker stops, so the whole multi-worker run ends", returncode=1)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    results = config.stash.get(_RESULTS, [])
    lines = config.stash.get(_LINES, [])
    if not results and not lines:
        return
    from bench_lib import report, scaling

    terminalreporter.section("tfbench results")
    for question in dict.fromkeys(r["question"] for r in results):
        terminalreporter.write_line(f"\n{question}:\n")
        asked = [r for r in results if r["question"] == question]
        terminalreporter.write_line(report.markdown_table(asked, question))
        if question == "harness":
            terminalreporter.write_line(
                "\nharness overhead (targets: suite / hand-written >= 0.97, suite / fit >= 1.5):\n"
            )
            terminalreporter.write_line(report.markdown_table(asked, columns=report.HARNESS_COLUMNS))
        rows = scaling.scaling_rows(asked)
        if rows:
            terminalreporter.write_line(
                f"\n{question}, scaling efficiency (replicas sharing one machine's cores measure overhead):\n"
            )
            terminalreporter.write_line(report.markdown_table(rows, columns=report.SCALING_COLUMNS))
    for line in lines:
        terminalreporter.write_line("\n" + line)
    warnings = [line for r in results for line in report.warning_lines(r)]
    if warnings:
        terminalreporter.write_line("")
        for line in warnings:
            terminalreporter.write_line(line, yellow=True)
    from bench_lib.findings import findings

    terminalreporter.section("tfbench findings")
    for sentence in findings(results):
        terminalreporter.write_line(f"- {sentence}")
    if (folder := config.getoption("--bench-plot-dir")) is not None:
        _write_plot(terminalreporter, results, folder)


def _write_plot(terminalreporter, results: list[dict], folder: str) -> None:
    """steps_to_target.png in folder, or steps_to_target-2.png, ... — never over a saved file."""
    from pathlib import Path

    from bench_lib.plot_scaling import plot_steps_to_target

    path, n = Path(folder) / "steps_to_target.png", 1
    while path.exists():
        n += 1
        path = Path(folder) / f"steps_to_target-{n}.png"
    if plot_steps_to_target(results, path) is not None:
        terminalreporter.write_line(f"\nsteps-to-target plot: {path}")
