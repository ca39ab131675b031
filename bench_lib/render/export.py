"""Exports a saved run's figures: results.csv with every result key, and github-action-benchmark's JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping

from bench_lib.record import metrics
from bench_lib.record.history import Benchmark

# Left out of the CSV because they are not one figure per configuration (the report plots history).
# Every metric has a column: a run saved before a metric existed reads it as empty (history fills None).
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


# github-action-benchmark needs a unit; a metric without one is a fraction (accuracy, MFU, efficiency).
FRACTION_UNIT = "fraction"


def github_action_benchmark(benchmarks: Iterable[Benchmark], bigger_is_better: bool) -> str:
    """JSON for github-action-benchmark's `customBiggerIsBetter` or `customSmallerIsBetter` tool.

    One entry per benchmark and exported metric (bench_lib.record.metrics) of that direction, named
    '<question>/<id> <label>'; runs that are not ok are left out.
    """
    direction = "higher" if bigger_is_better else "lower"
    exported = [m for m in metrics.METRICS if m.exported and m.direction == direction]
    entries = []
    for bench in benchmarks:
        if bench.result.get("status") != "ok":
            continue
        flat = flatten(bench.result)
        for metric in exported:
            value = flat.get(f"{metric.key}.{metric.summary}" if metric.summary else metric.key)
            if isinstance(value, int | float):
                entry = {
                    "name": f"{bench.key} {metric.export_label or metric.label}",
                    "unit": metric.unit or FRACTION_UNIT,
                    "value": value,
                }
                spread = ((bench.result.get("seed_stats") or {}).get(metric.key) or {}).get("std")
                if spread is not None:
                    entry["range"] = f"± {spread:.4g}"
                entry["extra"] = f"status {bench.result['status']}; spec {json.dumps(bench.result.get('spec'))}"
                entries.append(entry)
    return json.dumps(entries, indent=1) + "\n"
