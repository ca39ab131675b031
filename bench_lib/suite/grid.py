"""Hands the profile to benchmarks: the `profile` fixture, and each module's grid(profile) as `spec`."""

from __future__ import annotations

import pytest

from bench_lib.suite import stash
from bench_lib.suite.profiles import Profile


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest) -> Profile:
    return request.config.stash[stash.PROFILE]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrizes every benchmark that takes `spec` with its module's grid(profile).

    A grid point RunSpec refuses is skipped with RunSpec's reason, under a label of its fields.
    """
    if "spec" not in metafunc.fixturenames or not hasattr(metafunc.module, "grid"):
        return
    profile = metafunc.config.stash[stash.PROFILE]
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


def is_configuration(item: pytest.Item) -> bool:
    """Whether a collected test is one benchmark configuration: timed, from a grid or the profile."""
    names = getattr(item, "fixturenames", ())
    return "benchmark" in names and ("spec" in names or "profile" in names)
