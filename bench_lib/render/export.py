"""Exports a saved run's figures: results.csv with every metric, and github-action-benchmark's JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping

from bench_lib.record.history import Benchmark

# Left out of the CSV because they are not one figure per configuration (the report plots history).
NOT_IN_CSV = ("history",)
FIRST_COLUMNS = ("question", "id", "status")


def flatten(value: object, prefix: str = "") -> dict[str, object]:
    """Nested dicts become dotted keys ('step_time_ms.median'); lists become JSON text."""
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list | tuple):
        return {prefix: json.dumps(value)}
    return {prefix: value}


def csv_row(bench: Benchmark) -> dict[str, object]:
    result = {k: v for k, v in bench.result.items() if k not in NOT_IN_CSV}
    row = {"question": bench.question, **flatten(result)}
    row.update({f"pytest_benchmark.{k}": v for k, v in flatten(bench.timing).items()})
    row["pytest_benchmark.rounds_saved"] = len(bench.rounds_s)
    return row


def results_csv(benchmarks: Iterable[Benchmark]) -> str:
    """One row per benchmark, one column per figure any of them has (empty where a row lacks it)."""
    rows = [csv_row(b) for b in benchmarks]
    columns = list(FIRST_COLUMNS)
    for row in rows:
        columns += [k for k in row if k not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# (result key, label, unit); values come straight from the result dict, time from its step_time_ms.
BIGGER_IS_BETTER = (("test_accuracy", "test accuracy", "fraction"), ("examples_per_sec", "throughput", "examples/s"))
SMALLER_IS_BETTER = (
    ("step_time_ms.median", "step time median", "ms"),
    ("tf_peak_mib", "TF peak memory", "MiB"),
    ("peak_rss_mib", "peak host memory", "MiB"),
)


def github_action_benchmark(benchmarks: Iterable[Benchmark], bigger_is_better: bool) -> str:
    """JSON for github-action-benchmark's `customBiggerIsBetter` or `customSmallerIsBetter` tool.

    One entry per benchmark and metric, named '<question>/<id> <label>'; runs that are not ok are left out.
    """
    metrics = BIGGER_IS_BETTER if bigger_is_better else SMALLER_IS_BETTER
    entries = []
    for bench in benchmarks:
        if bench.result.get("status") != "ok":
            continue
        flat = flatten(bench.result)
        for key, label, unit in metrics:
            value = flat.get(key)
            if isinstance(value, int | float):
                entry = {"name": f"{bench.key} {label}", "unit": unit, "value": value}
                spread = ((bench.result.get("seed_stats") or {}).get(key) or {}).get("std")
                if spread is not None:
                    entry["range"] = f"± {spread:.4g}"
                entry["extra"] = f"status {bench.result['status']}; spec {json.dumps(bench.result.get('spec'))}"
                entries.append(entry)
    return json.dumps(entries, indent=1) + "\n"
