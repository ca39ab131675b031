"""What each noise lever buys in between-process spread: one configuration, many fresh processes, levers interleaved.

    PYTHONPATH=. python tools/dev/noise_levers.py                      # the wide MLP, 6 processes a lever
    PYTHONPATH=. python tools/dev/noise_levers.py --processes 10 --model resnet20 --batch-size 64
    PYTHONPATH=. python tools/dev/noise_levers.py --levers defaults,intra1 --json levers.json

Each process is `python -m bench_lib run` of the same configuration (synthetic data, a fixed step
budget) under one lever; round r runs one process of every lever, in an order rotated each round,
so drift of the machine falls on every lever alike. Per lever it prints the median over processes
of each process's median step time, the between-process coefficient of variation of those
medians (sample standard deviation over mean: the spread a comparison of two runs has to see
through), the throughput relative to TensorFlow's defaults, and the processes' CPU time over their
wall time (below the cores a process may use when others take the machine). Figures taken while
other work runs show that work as much as the levers: label them so.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# name: (what it is, environment variables, CPUs the process is pinned to or None)
LEVERS: dict[str, tuple[str, dict[str, str], tuple[int, ...] | None]] = {
    "defaults": ("TensorFlow's own thread pools, every CPU", {}, None),
    "intra1": ("1 intra-op thread", {"TF_NUM_INTRAOP_THREADS": "1"}, None),
    "intra1-inter2": ("1 intra-op, 2 inter-op threads (the nightly profile)",
                      {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "2"}, None),
    "pinned": ("pinned to CPU 0, 1 intra-op thread", {"TF_NUM_INTRAOP_THREADS": "1"}, (0,)),
    "onednn-off": ("oneDNN's optimizations off", {"TF_ENABLE_ONEDNN_OPTS": "0"}, None),
    "bfc-off": ("TensorFlow's BFC CPU allocator off", {"TF_CPU_ALLOCATOR_USE_BFC": "false"}, None),
}  # fmt: skip


def one_process(run_options: list[str], env: dict[str, str], cpus: tuple[int, ...] | None) -> dict[str, float]:
    """One `tfbench run`: its median step time (ms), wall seconds and CPU seconds."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bench_lib", "run", *run_options, "--json", str(out), "-q"],
            env=os.environ | env, capture_output=True, text=True, check=False,
            preexec_fn=(lambda: os.sched_setaffinity(0, set(cpus))) if cpus else None,
        )  # fmt: skip
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"a process failed: {(done.stderr.strip().splitlines() or ['no output'])[-1]}")
        result = json.loads(out.read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"median_ms": result["step_time_ms"]["median"], "wall_s": wall, "cpu_s": cpu}


def summary(processes: list[dict[str, float]], defaults_ms: float | None) -> dict[str, float]:
    medians = [p["median_ms"] for p in processes]
    center = statistics.median(medians)
    return {
        "processes": len(medians),
        "median_ms": center,
        "between_process_cv": statistics.stdev(medians) / statistics.fmean(medians) if len(medians) > 1 else None,
        "relative_throughput": defaults_ms / center if defaults_ms else None,
        "cpu_over_wall": sum(p["cpu_s"] for p in processes) / sum(p["wall_s"] for p in processes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=6, help="processes per lever (default 6)")
    parser.add_argument("--levers", default=",".join(LEVERS), help=f"comma-separated, of {', '.join(LEVERS)}")
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=300, help="optimizer steps per process (default 300)")
    parser.add_argument("--json", type=Path, default=None, help="also write every process's figures here")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.levers.split(",")]
    unknown = [name for name in chosen if name not in LEVERS]
    if unknown or args.processes < 2:
        raise SystemExit(f"--levers={args.levers!r} / --processes={args.processes!r} is not allowed: levers of "
                         f"{', '.join(LEVERS)}, 2 processes or more")  # fmt: skip
    run_options = ["--model", args.model, "--batch-size", str(args.batch_size), "--dataset", "synthetic",
                   "--steps", str(args.steps), "--optimizer", "sgd"]  # fmt: skip
    if args.model == "mlp":  # the wide MLP without Dropout; other families have no Dropout to turn off
        run_options += ["--hidden-units", "512,512", "--dropout", "0"]
    measured: dict[str, list[dict[str, float]]] = {name: [] for name in chosen}
    for round_index in range(args.processes):
        rotated = chosen[round_index % len(chosen) :] + chosen[: round_index % len(chosen)]
        for name in rotated:
            _, env, cpus = LEVERS[name]
            measured[name].append(one_process(run_options, env, cpus))
            print(f"round {round_index + 1}/{args.processes} {name}: {measured[name][-1]['median_ms']:.3f} ms",
                  file=sys.stderr, flush=True)  # fmt: skip
    defaults_ms = statistics.median(p["median_ms"] for p in measured["defaults"]) if "defaults" in measured else None
    print(f"\n{' '.join(run_options)}, {args.processes} processes a lever, levers interleaved\n")
    print("| lever | processes | median step, ms | between-process CV | throughput vs defaults | CPU s / wall s |")
    print("|---|---|---|---|---|---|")
    table = {}
    for name in chosen:
        row = table[name] = summary(measured[name], defaults_ms)
        cv = "-" if row["between_process_cv"] is None else f"{row['between_process_cv']:.1%}"
        relative = "-" if row["relative_throughput"] is None else f"{row['relative_throughput']:.2f}"
        print(f"| {LEVERS[name][0]} | {row['processes']} | {row['median_ms']:.3f} | {cv} | {relative} | "
              f"{row['cpu_over_wall']:.2f} |")  # fmt: skip
    if args.json is not None:
        args.json.write_text(json.dumps({"options": run_options, "processes": measured, "summary": table}, indent=2))


if __name__ == "__main__":
    main()
