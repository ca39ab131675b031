"""trend's HTML pages: one per benchmark, its history plotted with its noise band, and an index linking them.

Reads the trend's series (bench_lib.analysis.trend), computes nothing: the band of each metric is
the series' own (the history median ÷/× the smallest detectable change for timing, median ±
k·1.4826·MAD for accuracy and memory). Figures use matplotlib's object API with the Agg canvas,
as bench_lib.render.plots does.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bench_lib.render.plots import NEWEST_COLORS

STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}"
    ".worse{color:#b00;font-weight:bold}.better{color:#070;font-weight:bold}"
)


def _label(series) -> str:
    return series.metric.label + (f" ({series.metric.unit})" if series.metric.unit else "")


def band_figure(key: str, series: Sequence) -> bytes:
    """One panel per metric: its history oldest to newest, the noise band shaded, the newest run the big dot."""
    figure = Figure(figsize=(4.2 * max(len(series), 1), 3.6), layout="constrained")
    for index, one in enumerate(series):
        axes = figure.add_subplot(1, max(len(series), 1), index + 1)
        if one.points:
            names, values = zip(*one.points, strict=True)
            if one.band is not None:
                axes.axhspan(*one.band, color="tab:blue", alpha=0.15, label="noise band")
                axes.axhline(one.verdict.base, color="tab:blue", linestyle="--", linewidth=1, label="history median")
            axes.plot(range(len(values)), values, marker="o", color="tab:blue")
            color = NEWEST_COLORS.get(one.verdict.verdict, "dimgrey")
            axes.plot([len(values) - 1], [values[-1]], marker="o", color=color, markersize=9)
            axes.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize="x-small")
            if one.band is not None:
                axes.legend(fontsize="x-small", loc="best")
        axes.set_ylabel(_label(one), fontsize="small")
        axes.grid(alpha=0.3)
    figure.suptitle(key, fontsize="medium")
    return _png(figure)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return "-" if value is None else str(value)


def _row(one) -> str:
    judged = one.verdict
    band = "-" if one.band is None else f"{_number(one.band[0])} – {_number(one.band[1])}"
    could_see = "-" if judged.detectable is None else f"×{judged.detectable:.3g}"
    unit = " pt" if one.metric.compare == "accuracy" else "%"
    change = "-" if judged.change is None else f"{judged.change:+.1f}{unit}"
    step = "" if one.step is None else one.step.describe(one.metric)
    cells = (_label(one), _number(judged.new), _number(judged.base), band, change, could_see, step, judged.method)
    verdict = f'<td class="{judged.verdict}">{html.escape(judged.verdict)}</td>'
    escaped = [f"<td>{html.escape(c)}</td>" for c in cells]
    return "<tr>" + "".join(escaped[:5]) + verdict + "".join(escaped[5:]) + "</tr>"


def benchmark_page(key: str, series: Sequence, figure_png: bytes) -> str:
    """One benchmark's page: its history figure with the noise band (embedded, so the page is one file), and a
    row per metric."""
    header = ("metric", "newest", "history median", "noise band", "change", "verdict", "could see", "step",
              "decided by")  # fmt: skip
    rows = "\n".join(_row(one) for one in series)
    title = html.escape(key)
    figure = base64.b64encode(figure_png).decode()
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>tfbench trend: {title}</title>"
        f"<style>{STYLE}</style></head><body>\n<p><a href='index.html'>all benchmarks</a></p>\n<h1>{title}</h1>\n"
        f"<p><img src='data:image/png;base64,{figure}' alt='{title} over the runs'></p>\n"
        "<p>The shaded band is where the newest run could land without a verdict: the history median ÷/× the "
        "smallest change the comparison could detect (timing), or the median ± k·1.4826·MAD (accuracy, memory).</p>\n"
        "<table><tr>" + "".join(f"<th>{h}</th>" for h in header) + f"</tr>\n{rows}\n</table>\n</body></html>\n"
    )


def index_page(pages: Mapping[str, str], worst: Mapping[str, str], runs: int) -> str:
    """The list of benchmark pages, each with its worst verdict."""
    items = "\n".join(
        f"<tr><td><a href='{html.escape(name)}'>{html.escape(key)}</a></td>"
        f"<td class='{worst[key]}'>{html.escape(worst[key])}</td></tr>"
        for key, name in pages.items()
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>tfbench trend</title><style>{STYLE}</style>"
        f"</head><body>\n<h1>tfbench trend: {runs} runs of one machine</h1>\n<p>Each benchmark's history and noise "
        "band; the verdicts and the rule are in <a href='trend.md'>trend.md</a>.</p>\n"
        f"<table><tr><th>benchmark</th><th>newest run</th></tr>\n{items}\n</table>\n</body></html>\n"
    )
