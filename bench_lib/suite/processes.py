"""Repeats a configuration in fresh processes (--bench-processes): each process's median step time.

Most of the variance of a step's time lies between processes (memory layout, thread placement,
clock frequency, neighbours on a shared host), not between the rounds of one process, so a
comparison that wants to know whether two runs differ needs several processes per run, as
pyperf and asv run them. The suite's own process gives the first median; each further process
runs the same spec with `python -m bench_lib.suite.processes SPEC_JSON` and prints its median.
The medians are saved as process_medians, in milliseconds per optimizer step; the suite runs
the further processes in passes over every configuration (bench_lib.suite.interleaving).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping

from bench_lib.config.spec import RunSpec

# A further process that takes longer than this is stopped and counted as failed.
PROCESS_TIMEOUT_S = 1800


def further_medians_ms(spec: RunSpec, processes: int, peak_gflops: float | None) -> list[float]:
    """The median step time of `processes` fresh processes running spec, one after another, in ms.

    Raises:
      RuntimeError: as one_median_ms.
    """
    return [one_median_ms(spec, peak_gflops) for _ in range(processes)]


def one_median_ms(spec: RunSpec, peak_gflops: float | None) -> float:
    """The median step time of one fresh process running spec, in ms.

    peak_gflops, when known, is handed on (TFBENCH_PEAK_GFLOPS) so no process calibrates it again.

    Raises:
      RuntimeError: the process failed, or ran longer than PROCESS_TIMEOUT_S; the message holds its
        last line of output or says so.
    """
    from bench_lib.engine import threads

    environ = dict(os.environ) | threads.environment()  # the suite's fixed thread counts; the affinity is inherited
    if peak_gflops:
        environ["TFBENCH_PEAK_GFLOPS"] = repr(peak_gflops)
    command = [sys.executable, "-m", "bench_lib.suite.processes", json.dumps(spec.as_dict())]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=environ, timeout=PROCESS_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{spec.id}: a further process ran longer than {PROCESS_TIMEOUT_S} s") from None
    last = (done.stdout.strip().splitlines() or [""])[-1]
    if done.returncode != 0 or not last.startswith("{"):
        error = (done.stderr.strip().splitlines() or [last])[-1]
        raise RuntimeError(f"{spec.id}: a further process failed: {error}")
    return float(json.loads(last)["median_ms"])


def _median_of_one_process(spec_dict: Mapping[str, object]) -> dict[str, float]:
    from bench_lib.engine import runner, strategy

    spec = RunSpec.from_dict(dict(spec_dict))
    strategy.configure_for(spec, None, deterministic=spec.deterministic)
    result = runner.run_one(spec)
    if result.status != "ok" or not result.step_time_ms:
        raise SystemExit(f"status {result.status}: {result.error}")
    return {"median_ms": result.step_time_ms["median"]}


if __name__ == "__main__":
    print(json.dumps(_median_of_one_process(json.loads(sys.argv[1]))))
