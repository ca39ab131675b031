"""bench_lib/suite/refused.py: pytest-benchmark's options the suite cannot honour are refused, naming what does it."""

from types import SimpleNamespace

import pytest

from bench_lib.suite import refused


def _config(*args: str, addopts: tuple[str, ...] = ()) -> SimpleNamespace:
    return SimpleNamespace(invocation_params=SimpleNamespace(args=args), getini=lambda name: list(addopts))


@pytest.mark.parametrize(
    ("given", "names"),
    [
        ("--benchmark-min-rounds=20", "--bench-rounds=N"),
        ("--benchmark-min-time=0.1", "--bench-rounds=N"),
        ("--benchmark-max-time=2", "--bench-timeout=S"),
        ("--benchmark-warmup", "--bench-warmup=N"),
        ("--benchmark-warmup-iterations=3", "--bench-warmup=N"),
        ("--benchmark-timer=time.process_time", "time.perf_counter"),
        ("--benchmark-compare", "tfbench compare BASE NEW"),
        ("--benchmark-compare-fail=min:5%", "tfbench compare BASE NEW"),
    ],
)
def test_an_option_that_would_change_nothing_is_one_line_naming_what_does_its_job(given, names):
    with pytest.raises(pytest.UsageError) as refusal:
        refused.check(_config("benchmarks/", given))
    message = str(refusal.value)
    assert message.startswith(f"{given.split('=')[0]} is not allowed in the tfbench suite: ")
    assert names in message and "\n" not in message


def test_options_from_the_ini_file_and_the_environment_count_too(monkeypatch):
    with pytest.raises(pytest.UsageError, match="--benchmark-min-rounds"):
        refused.check(_config(addopts=("--benchmark-min-rounds", "20")))
    monkeypatch.setenv("PYTEST_ADDOPTS", "-q --benchmark-max-time=3")
    with pytest.raises(pytest.UsageError, match="--benchmark-max-time"):
        refused.check(_config())


def test_the_options_the_suite_honours_pass():
    refused.check(_config("--benchmark-save=night", "--benchmark-json=x.json", "--benchmark-disable-gc"))


def test_the_histogram_is_refused_only_when_its_packages_are_missing(monkeypatch):
    import importlib.util

    found = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "pygaljs" else found("pytest"))
    with pytest.raises(pytest.UsageError, match=r"^--benchmark-histogram needs pygaljs, which is not installed: pip"):
        refused.check(_config("--benchmark-histogram=plots/h"))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: found("pytest"))
    refused.check(_config("--benchmark-histogram"))
