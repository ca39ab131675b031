"""Session start-up: the cluster, the profile, the devices and SIGTERM, before any TensorFlow op."""

from __future__ import annotations

import signal

import pytest

from bench_lib.config import collective, heartbeat
from bench_lib.probes import load
from bench_lib.suite import journal, refused, stash
from bench_lib.suite.options import profile_from_options


# tryfirst: pytest-benchmark and junitxml read their output options in their own pytest_configure.
@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.stash[stash.LOAD_AT_START] = load.snapshot()
    refused.check(config)  # pytest-benchmark's options that would change nothing, or need a missing package
    from bench_lib.engine import slurm  # imports TensorFlow only for a Slurm cluster

    try:
        cluster = slurm.resolve(config.getoption("--bench-cluster"))  # checked before TensorFlow starts
    except ValueError as error:
        raise pytest.UsageError(f"tfbench: {error}") from None
    config.stash[stash.CLUSTER] = cluster
    heartbeat.start()  # under `launch`: shows the launcher this worker is alive and not stuck
    if cluster is not None and not cluster.is_chief:
        _write_nothing(config)
    journal.check_before_work(config)  # the storage folder and --bench-resume, before TensorFlow starts
    from bench_lib.engine import start_up_notices

    # TensorFlow starts here: the full profile's dataset check may import it, the devices need it.
    with start_up_notices.left_out(verbose=config.getoption("--bench-verbose")):
        profile = profile_from_options(config, cluster)
        from bench_lib.engine import strategy
        from bench_lib.probes import speed
    config.stash[stash.PROFILE] = profile

    try:
        speed.declared_peak_gflops()
    except ValueError as error:
        raise pytest.UsageError(f"tfbench: {error}") from None
    # Two replicas at least: the library tests compare mirrored with one device.
    strategy.configure_devices(max(profile.replicas, 2, profile.replicas_per_worker))
    from bench_lib.engine import threads

    try:
        threads.apply(
            intra_op=profile.intra_op_threads,
            inter_op=profile.inter_op_threads,
            cpus=profile.cpu_affinity,
            cpu_count=profile.cpu_count,
        )
    except ValueError as error:
        raise pytest.UsageError(f"tfbench: {error}") from None
    if "multi_worker" in profile.strategies:
        try:
            settings = collective.Settings.of(profile)
            strategy.configure_multi_worker(profile.replicas_per_worker, cluster, settings=settings)
        except RuntimeError as error:
            raise pytest.UsageError(f"tfbench: {error}") from None
    # SIGTERM ends the session like Ctrl-C: pytest finishes it, and what ran is saved (bench_lib.suite.saving).
    # Not in a cluster's worker: the launcher's SIGTERM must stop it even inside a collective op.
    if cluster is None:
        signal.signal(signal.SIGTERM, _interrupt)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where Ctrl-C is ignored
            signal.signal(signal.SIGINT, _interrupt)


# A signal's KeyboardInterrupt is raised in whatever Python code runs at that moment; inside a
# finalizer (a weakref callback or __del__, which TensorFlow's garbage runs often) Python prints it
# as unraisable and goes on, and the session would not stop. So the signal is also remembered, and
# raise_if_interrupted() raises it again at the next step and the next configuration.
_interrupted_by: list[str] = []


def _interrupt(signum: int, frame: object) -> None:
    _interrupted_by.append(signal.Signals(signum).name)
    raise KeyboardInterrupt(f"signal {_interrupted_by[-1]}")


def raise_if_interrupted(*_: object) -> None:
    """Raises KeyboardInterrupt if SIGINT or SIGTERM arrived, whether or not its first raise was swallowed."""
    if _interrupted_by:
        raise KeyboardInterrupt(f"signal {_interrupted_by[-1]}")


def pytest_runtest_setup(item: pytest.Item) -> None:
    raise_if_interrupted()


def pytest_unconfigure(config: pytest.Config) -> None:
    _interrupted_by.clear()  # the session it stopped is over (a session run inside another process goes on)


def _write_nothing(config: pytest.Config) -> None:
    """A non-chief worker saves no benchmark data and writes no report: the chief does."""
    for option in ("benchmark_save", "benchmark_json", "benchmark_histogram", "benchmark_csv", "xmlpath"):
        if hasattr(config.option, option):
            setattr(config.option, option, None)
    for option in ("benchmark_autosave", "benchmark_save_data", "benchmark_cprofile_dump"):
        if hasattr(config.option, option):
            setattr(config.option, option, False)
