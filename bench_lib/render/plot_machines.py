"""Draws a performance profile of several machines (Dolan and Moré; AlgoPerf's way of showing many workloads).

One step curve per machine: at each tolerance τ on the x axis, the fraction of the problems
(model family in one precision) the machine runs within a factor τ of the fastest machine on that
problem. A curve that starts at 1 belongs to a machine that is fastest everywhere; the higher and
further left a curve, the better. The steps come from bench_lib.analysis.machines; nothing is
computed here.
"""

from __future__ import annotations

from bench_lib.analysis.machines import PerformanceProfile


def performance_profile_png(profile: PerformanceProfile) -> bytes:
    """The profile as PNG bytes."""
    import matplotlib.ticker
    from matplotlib.figure import Figure

    from bench_lib.render.plots import png

    figure = Figure(figsize=(6.5, 4.5))
    axes = figure.subplots()
    curves = [profile.curve(m) for m in range(len(profile.machines))]
    right = max(tau for curve in curves for tau, _ in curve) * 1.1
    for name, curve in zip(profile.machines, curves, strict=True):
        taus = [tau for tau, _ in curve] + [right]
        fractions = [fraction for _, fraction in curve] + [curve[-1][1]]
        axes.step(taus, fractions, where="post", label=name, linewidth=2)
    axes.set_xscale("log")
    plain = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}")
    axes.xaxis.set_major_formatter(plain)
    axes.xaxis.set_minor_formatter(plain)
    axes.set_xlim(1.0, right)
    axes.set_ylim(0, 1.05)
    axes.set_xlabel("τ: throughput within a factor τ of the fastest machine")
    axes.set_ylabel(f"fraction of the {len(profile.problems)} families × precisions")
    axes.set_title("performance profile")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small", loc="lower right")
    figure.tight_layout()
    return png(figure)
