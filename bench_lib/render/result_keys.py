"""Renders the result-keys reference as Markdown from the metric and question registries, so the manual cannot drift."""

from __future__ import annotations

from bench_lib import questions
from bench_lib.record import metrics
from bench_lib.record.metrics import Metric, ResultKey

INTRO = (
    "A result is the JSON that `python -m bench_lib run --json` writes and the `extra_info` of every benchmark "
    "in a saved suite run. Figures are null when the run did not get that far; a run saved before a metric "
    "existed reads back with it null. With several seeds, every seeded metric holds the mean over the seeds "
    "whose run is `ok`, and `seed_stats` its spread."
)
DIRECTION_TEXT = {"higher": "higher", "lower": "lower", None: "-"}


def _escape(text: str) -> str:
    """A table cell: a bare `|` would end the cell."""
    return text.replace("|", "\\|")


def _metric_row(metric: Metric) -> str:
    cells = (
        f"`{metric.key}`",
        metric.unit or "-",
        DIRECTION_TEXT[metric.direction],
        "yes" if metric.seeded else "-",
        metric.compare or "-",
        "yes" if metric.exported else "-",
        _escape(metric.description),
    )
    return "| " + " | ".join(cells) + " |"


def _key_rows(keys: tuple[ResultKey, ...]) -> list[str]:
    rows = ["| key | meaning |", "|---|---|"]
    for entry in keys:
        names = ", ".join(f"`{name.strip()}`" for name in entry.key.split(","))
        rows.append(f"| {names} | {_escape(entry.description)} |")
    return rows


def result_keys_markdown() -> str:
    """The result-keys page: every metric with how each reader treats it, then the result's other keys."""
    lines = [
        "# Result keys",
        "",
        INTRO,
        "",
        "## Metrics",
        "",
        "*better*: which way is better. *seeds*: averaged over the seeds, with its spread in `seed_stats`. "
        "*compare*: the rule `compare` and `trend` judge it by (a `--fail-on` threshold of that name; `status` "
        "is worse when it leaves `ok`). *tracked*: in the github-action-benchmark files that `report` writes.",
        "",
        "| key | unit | better | seeds | compare | tracked | meaning |",
        "|---|---|---|---|---|---|---|",
        *(_metric_row(m) for m in metrics.METRICS),
        "",
        "## The configuration and the run's details",
        "",
        *_key_rows(metrics.DETAILS),
        "",
        "## Beside the result in a saved suite run",
        "",
        *_key_rows(metrics.SUITE_KEYS),
        "",
        "## Saved by one question",
        "",
        "Each question declares the keys only it saves (`result_keys` of its entry in `bench_lib/questions/`).",
        "",
        *_key_rows(tuple(key for _, key in questions.result_keys())),
    ]
    return "\n".join(lines) + "\n"
