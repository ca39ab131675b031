"""Renders the plain-Keras cross-check (bench_lib.analysis.crosscheck) as a Markdown table and a line of provenance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bench_lib.analysis.crosscheck import METRIC, CrossCheck
from bench_lib.analysis.vocabulary import READINGS, interval_text


def _difference(check: CrossCheck, fmt: str) -> str:
    found = check.comparison
    if found is None:
        return "- (one seed on a side)"
    low, high = (format(v, f"+{fmt}") for v in found.ci95)
    return f"{format(found.estimate, f'+{fmt}')} [{low}, {high}], Welch p={found.p_value:.2g}"


def _steps(check: CrossCheck) -> str:
    suite = "?" if check.suite_steps_per_epoch is None else str(check.suite_steps_per_epoch)
    return f"{check.other_steps_per_epoch} / {suite}"


def crosscheck_markdown(checks: Sequence[CrossCheck], held: Mapping[str, object]) -> str:
    """The table, one row per batch size, then the command, versions and CPU that trained plain Keras."""
    fmt = READINGS[METRIC].fmt
    epochs = held["epochs"]
    lines = [
        f"| batch | the suite, {epochs} epochs | plain Keras `fit`, {epochs} epochs | plain Keras − suite | "
        "optimizer steps an epoch, Keras / suite | verdict |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {c.batch_size} | {interval_text(c.suite, fmt)} | {interval_text(c.other, fmt)} | {_difference(c, fmt)} | "
        f"{_steps(c)} | {c.verdict} |"
        for c in checks
    ]
    versions = held.get("versions") or {}
    lines += [
        "",
        f"Test accuracy, mean [95% interval] (n seeds). Plain Keras: `{held.get('command', '?')}`, Keras "
        f"{versions.get('keras', '?')} on TensorFlow {versions.get('tensorflow', '?')}, {held.get('cpu_model', '?')}; "
        "*agrees* where its mean lies inside the suite's 95% interval.",
    ]
    return "\n".join(lines)
