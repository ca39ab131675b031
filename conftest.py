"""pytest set-up shared by benchmarks/ and tests/: options, profiles, devices and the benchmark runner.

The profile and every override are read once, here, when pytest starts; devices are
configured then too, before any TensorFlow op, so that mirrored runs find their replicas.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import pytest

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

    def spec(self, **fields: object) -> RunSpec:
        """A RunSpec with this profile's defaults under the given fields."""
        base = {"epochs": self.epochs, "dataset": self.dataset, "warmup_steps": self.warmup_steps}
        return RunSpec(**{**base, **fields})

    def replicas_for(self, strategy: str) -> int:
        return 1 if strategy == "one_device" else self.replicas

    def grid(self, **axes: object) -> list[dict[str, object]]:
        """Spec fields for every strategy crossed with every combination of the axes.

        An axis is a tuple of values or a single value, e.g.
        grid(global_batch_size=(32, 128), model="cnn").
        """
        values = [v if isinstance(v, tuple) else (v,) for v in axes.values()]
        return [
            {"strategy": strategy, "replicas": self.replicas_for(strategy), **dict(zip(axes, point, strict=True))}
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
    accumulation_steps=(1, 2, 4, 8),
    accumulation_models=("mlp", "cnn"),
    bn_batch_sizes=(8, 16, 64, 256),
    throughput_batch_sizes=(64, 256, 1024),
    throughput_models=("mlp", "cnn"),
    throughput_steps=30,
    warmup_steps=3,
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
)
PROFILES = {p.name: p for p in (QUICK, FULL)}


def _int_list(option: str, text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise pytest.UsageError(
            f"{option}={text!r} is not allowed: comma-separated whole numbers, e.g. 32,128"
        ) from None
    if any(v < 1 for v in values):
        raise pytest.UsageError(f"{option}={text!r} is not allowed: every number must be >= 1")
    return values


def _one_int(option: str, text: str) -> int:
    values = _int_list(option, text)
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


def _profile(config: pytest.Config) -> Profile:
    name = config.getoption("--bench-profile")
    if name not in PROFILES:
        raise pytest.UsageError(f"--bench-profile={name!r} is not allowed: choose one of {', '.join(PROFILES)}")
    profile = PROFILES[name]
    changes: dict[str, object] = {}
    if (text := config.getoption("--bench-strategies")) is not None:
        changes["strategies"] = tuple(s.strip() for s in text.split(","))
    if (text := config.getoption("--bench-replicas")) is not None:
        changes["replicas"] = _one_int("--bench-replicas", text)
    if (text := config.getoption("--bench-batch-sizes")) is not None:
        changes["batch_sizes"] = changes["bn_batch_sizes"] = _int_list("--bench-batch-sizes", text)
    if (text := config.getoption("--bench-dataset")) is not None:
        changes["dataset"] = text
    if (text := config.getoption("--bench-epochs")) is not None:
        changes["epochs"] = _one_int("--bench-epochs", text)
    if name == "full" and "dataset" not in changes:
        changes["dataset"] = _full_dataset()
    profile = dataclasses.replace(profile, **changes)
    # Check strategies, replicas, dataset and epochs through RunSpec before TensorFlow starts;
    # batch sizes are checked per grid point, where an impossible one is skipped with its reason.
    for strategy in profile.strategies:
        try:
            profile.spec(strategy=strategy, replicas=profile.replicas_for(strategy), global_batch_size=profile.replicas)
        except ValueError as error:
            raise pytest.UsageError(f"tfbench options: {error}") from None
    return profile


def _full_dataset() -> str:
    """Real MNIST when its Keras cache file is present, else the 5,000-image MNIST subset."""
    from bench_lib.data import keras_cache_dir

    return "mnist" if (keras_cache_dir() / "mnist.npz").is_file() else "mnist_5k"


def pytest_configure(config: pytest.Config) -> None:
    profile = _profile(config)
    config.stash[_PROFILE] = profile
    from bench_lib.strategy import configure_devices

    # Two replicas at least: the library tests compare mirrored with one device.
    configure_devices(max(profile.replicas, 2))


_PROFILE = pytest.StashKey[Profile]()
_RESULTS = pytest.StashKey[list]()


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
    machine_info["tfbench_profile"] = config.stash[_PROFILE].name


@pytest.fixture
def measure_run(benchmark, request: pytest.FixtureRequest):
    """Trains `spec` with every optimizer step timed by pytest-benchmark; returns the result dict.

    Each benchmark round is one real optimizer step (warm-up rounds excluded from timing);
    epoch-end evaluation runs in pedantic's untimed setup. The result's metrics and spec go to
    benchmark.extra_info; a configuration that fails fails its test and is listed, with its
    status, in the session summary.
    """
    from bench_lib import runner

    question = request.node.originalname.removeprefix("test_")

    def record(result: dict) -> None:
        request.config.stash.setdefault(_RESULTS, []).append({"question": question, **result})

    def measure(spec: RunSpec) -> dict:
        benchmark.group = request.node.originalname
        try:
            prepared = runner.prepare(spec)
        except (FileNotFoundError, ValueError) as error:  # missing data file, or a batch the data cannot fill
            pytest.skip(str(error))
        except Exception as error:
            record(runner.failed(spec, error).as_dict())
            pytest.fail(f"{spec.id}: could not start: {error}", pytrace=False)
        loop = prepared.loop
        if loop.total_steps <= loop.warmup_steps:
            prepared.probe.stop()
            pytest.skip(f"{loop.total_steps} steps leave none to time after {loop.warmup_steps} warm-up steps")
        try:
            benchmark.pedantic(
                loop.step,
                setup=loop.before_step,
                rounds=loop.total_steps - loop.warmup_steps,
                warmup_rounds=loop.warmup_steps,
            )
            loop.run()  # the rest of the budget when pytest-benchmark is disabled
            result = runner.conclude(prepared).as_dict()
        except Exception as error:
            result = runner.failed(spec, error).as_dict()
            record(result)
            pytest.fail(f"{spec.id}: {result['status']}: {result['error']}", pytrace=False)
        benchmark.extra_info.update(result)
        record(result)
        return result

    return measure


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    results = config.stash.get(_RESULTS, [])
    if results:
        from bench_lib.report import markdown_table

        terminalreporter.section("tfbench results")
        for question in dict.fromkeys(r["question"] for r in results):
            terminalreporter.write_line(f"\n{question}:\n")
            terminalreporter.write_line(markdown_table(r for r in results if r["question"] == question))
