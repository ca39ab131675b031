"""pytest-benchmark's options the suite cannot honour, refused before anything runs, each naming what does the job.

The suite times its own blocks of training steps (bench_lib.suite.measuring), so the options
that size pytest-benchmark's own rounds — how many, how long, how warmed up, with which timer —
would change nothing; and tfbench judges two runs by its own rules (`tfbench compare`), which
pytest-benchmark's --benchmark-compare does not know. An option given on the command line, in
PYTEST_ADDOPTS or in the ini file's addopts is a usage error of one line. --benchmark-histogram
is refused when the packages it needs are missing, rather than failing after the run was saved.
"""

from __future__ import annotations

import importlib.util
import os
import shlex

import pytest

_ROUNDS = "the suite times its own blocks of training steps"
_COMPARE = (
    "compare saved runs with `tfbench compare BASE NEW` (exit status 1 when a metric got worse; "
    "--fail-on sets the thresholds) or `tfbench trend`"
)

# option -> why it is refused and what does its job
REFUSED = {
    "--benchmark-min-rounds": f"{_ROUNDS}: --bench-rounds=N sets how many",
    "--benchmark-min-time": f"{_ROUNDS}, each sized to some tens of milliseconds: --bench-rounds=N sets how many",
    "--benchmark-max-time": f"{_ROUNDS}: --bench-rounds=N sets how many, --bench-timeout=S (with --bench-isolate) "
    "bounds a configuration's time",
    "--benchmark-calibration-precision": f"{_ROUNDS}, sized by the suite: --bench-rounds=N sets how many",
    "--benchmark-precision": f"{_ROUNDS}: --bench-rounds=N sets how many, --bench-processes=N how many processes",
    "--benchmark-confidence": f"{_ROUNDS}: --bench-rounds=N sets how many, --bench-processes=N how many processes",
    "--benchmark-warmup": f"{_ROUNDS} after its own warm-up: --bench-warmup=N sets the warm-up steps",
    "--benchmark-warmup-iterations": f"{_ROUNDS} after its own warm-up: --bench-warmup=N sets the warm-up steps",
    "--benchmark-timer": f"{_ROUNDS} with time.perf_counter, which no option changes",
    "--benchmark-compare": _COMPARE,
    "--benchmark-compare-fail": _COMPARE,
}

# option -> the modules it needs, and how to install them
NEEDS = {
    "--benchmark-histogram": (("pygal", "pygaljs"), "pip install 'pytest-benchmark[histogram]'"),
}


def given_options(config: pytest.Config) -> set[str]:
    """The --benchmark-* options given: on the command line, in PYTEST_ADDOPTS or in the ini file's addopts."""
    args = [
        *config.invocation_params.args,
        *shlex.split(os.environ.get("PYTEST_ADDOPTS", "")),
        *config.getini("addopts"),
    ]
    return {str(a).split("=", 1)[0] for a in args if str(a).startswith("--benchmark-")}


def check(config: pytest.Config) -> None:
    """Refuses, in one line, an option the suite cannot honour or one whose packages are missing.

    Raises:
      pytest.UsageError: naming the option and what does its job (or what to install).
    """
    given = given_options(config)
    for option, reason in REFUSED.items():
        if option in given:
            raise pytest.UsageError(f"{option} is not allowed in the tfbench suite: {reason}")
    for option, (modules, install) in NEEDS.items():
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if option in given and missing:
            verb = "is" if len(missing) == 1 else "are"
            raise pytest.UsageError(f"{option} needs {' and '.join(missing)}, which {verb} not installed: {install}")
