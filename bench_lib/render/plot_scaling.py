"""Draws steps-to-target against batch size on log-log axes; computes no statistic itself.

Shallue et al. 2019 ("Measuring the Effects of Data Parallelism on Neural Network Training")
show three regimes on this plot: perfect scaling (doubling the batch halves the steps — the
dotted slope -1 line through the smallest batch), diminishing returns, and a plateau where a
larger batch no longer saves steps. Points carry their 95% interval over seeds; a batch size
that never reached the target is marked at the top with an x.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from bench_lib.analysis.vocabulary import steps_to_target_series


def _figure(results: Iterable[Mapping[str, object]]):
    """The pyplot-free log-log figure of steps to target against batch size; None if nothing reached a target."""
    import matplotlib.ticker
    from matplotlib.figure import Figure

    series = steps_to_target_series(results)
    if not any(f is not None for points in series.values() for _, f in points):
        return None
    figure = Figure(figsize=(6, 4.5))
    axes = figure.subplots()
    top = max(f.ci95[1] if f.ci95 else f.mean for points in series.values() for _, f in points if f is not None)
    for label, points in series.items():
        _draw(axes, label or "steps to target", points, top)
    axes.set_xscale("log", base=2)
    axes.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    axes.set_yscale("log")
    axes.set_xlabel("global batch size")
    axes.set_ylabel("optimizer steps to the target test accuracy")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    return figure


def steps_to_target_png(results: Iterable[Mapping[str, object]]) -> bytes | None:
    """The plot as PNG bytes (for reports); None if nothing reached a target."""
    from bench_lib.render.plots import png

    figure = _figure(results)
    return None if figure is None else png(figure)


def plot_steps_to_target(results: Iterable[Mapping[str, object]], path: Path) -> Path | None:
    """Writes the plot as an image (format from path's suffix) and returns path; None if nothing reached a target.

    Raises:
      FileExistsError: path exists (a saved plot is never overwritten).
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists already; choose another path")
    figure = _figure(results)
    if figure is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    try:
        figure.savefig(tmp)
        os.link(tmp, path)  # fails, rather than replaces, if path appeared meanwhile
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _draw(axes, label: str, points: list, top: float) -> None:
    reached = [(b, f) for b, f in points if f is not None]
    if reached:
        batches = [b for b, _ in reached]
        means = [f.mean for _, f in reached]
        low = [f.mean - f.ci95[0] if f.ci95 else 0.0 for _, f in reached]
        high = [f.ci95[1] - f.mean if f.ci95 else 0.0 for _, f in reached]
        line = axes.errorbar(batches, means, yerr=[low, high], marker="o", capsize=3, label=label)
        b0, s0 = batches[0], means[0]
        ideal = [b for b, _ in points if b >= b0]
        axes.plot(
            ideal, [s0 * b0 / b for b in ideal], ":", color=line[0].get_color(), label=f"{label}: perfect scaling"
        )
    missed = [b for b, f in points if f is None]
    if missed:
        axes.plot(missed, [top * 1.5] * len(missed), "x", color="black", label=f"{label}: not reached")
