"""Draws a saved run's figures as PNG bytes (matplotlib, headless); reads figures, computes none.

Figures are built on matplotlib's object API with the Agg canvas, so nothing touches pyplot's
global state or needs a display.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from bench_lib.render.tables import SPEC_ORDER, strategy_label

Result = Mapping[str, object]
# The x axis of a question's figure: the first of these spec fields that varies, else any numeric one.
X_AXES = ("global_batch_size", "accumulation_steps")
AXIS_LABELS = {"global_batch_size": "global batch size (examples)", "accumulation_steps": "accumulation steps"}
PANELS = (
    ("test_accuracy", "test accuracy (fraction)"),
    ("examples_per_sec", "throughput (examples/s)"),
    ("tf_peak_mib", "TF peak memory (MiB)"),
)
IGNORED_FIELDS = ("seed", "data_path", "warmup_steps")


def varying_fields(results: Sequence[Result]) -> list[str]:
    """Spec fields with more than one value among the results, in a stable, readable order."""
    values: dict[str, set] = {}
    for result in results:
        for key, value in (result.get("spec") or {}).items():
            values.setdefault(key, set()).add(repr(value))
    varying = [k for k, v in values.items() if len(v) > 1 and k not in IGNORED_FIELDS]
    return sorted(varying, key=lambda k: (SPEC_ORDER.index(k) if k in SPEC_ORDER else len(SPEC_ORDER), k))


def x_axis(results: Sequence[Result]) -> str | None:
    varying = varying_fields(results)
    for name in (*X_AXES, *varying):
        values = [(r.get("spec") or {}).get(name) for r in results]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        if name in varying and numeric:
            return name
    return None


def _line_label(result: Result, fields: Sequence[str]) -> str:
    spec = result.get("spec") or {}
    parts = [strategy_label(result)] + [f"{k}={spec.get(k)}" for k in fields]
    return " · ".join(parts)


def _determined(field: str, by: Sequence[str], results: Sequence[Result]) -> bool:
    """Whether the field's value follows from the `by` fields' values (it would add nothing to a label)."""
    seen: dict[str, str] = {}
    for result in results:
        spec = result.get("spec") or {}
        key = repr([spec.get(k) for k in by])
        if seen.setdefault(key, repr(spec.get(field))) != repr(spec.get(field)):
            return False
    return True


def label_fields(results: Sequence[Result], x: str | None) -> list[str]:
    """The varying fields that tell lines apart: not the x axis, nor one that follows from x or earlier ones."""
    fields: list[str] = []
    for name in varying_fields(results):
        if name in (x, "strategy", "replicas"):
            continue
        if (x is not None and _determined(name, [x], results)) or (fields and _determined(name, fields, results)):
            continue
        fields.append(name)
    return fields


def _lines(results: Sequence[Result], x: str) -> dict[str, list[Result]]:
    """Results grouped into lines: one per strategy and combination of the other varying fields."""
    others = label_fields(results, x)
    lines: dict[str, list[Result]] = {}
    for result in results:
        lines.setdefault(_line_label(result, others), []).append(result)
    return {label: sorted(rows, key=lambda r: r["spec"][x]) for label, rows in lines.items()}


def png(figure: Figure) -> bytes:
    """A pyplot-free figure as PNG bytes, drawn on the Agg canvas (every plot of bench_lib.render)."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def _log2_if_powers(axes, values: Sequence[float]) -> None:
    if values and all(v > 0 and float(v).is_integer() and int(v) & (int(v) - 1) == 0 for v in values):
        axes.set_xscale("log", base=2)
        axes.set_xticks(sorted(set(values)), [str(int(v)) for v in sorted(set(values))])
        axes.minorticks_off()


def question_figure(question: str, title: str, results: Sequence[Result]) -> bytes | None:
    """Accuracy, throughput and TF memory against the varying numeric field; None when none varies."""
    ok = [r for r in results if r.get("status") == "ok"]
    x = x_axis(ok)
    if x is None:
        return None
    panels = [p for p in PANELS if any(r.get(p[0]) is not None for r in ok)]
    if all((r.get("spec") or {}).get("dataset") == "synthetic" for r in ok):
        panels = [p for p in panels if p[0] != "test_accuracy"]  # random labels: accuracy means nothing
    if not panels:
        return None  # no metric to draw (e.g. results saved without figures)
    figure = Figure(figsize=(4.6 * len(panels), 3.9), layout="constrained")
    lines = _lines(ok, x)
    for index, (key, label) in enumerate(panels):
        axes = figure.add_subplot(1, len(panels), index + 1)
        for name, rows in lines.items():
            points = [(r["spec"][x], r[key], _std(r, key)) for r in rows if r.get(key) is not None]
            if points:
                xs, ys, errors = zip(*points, strict=True)
                errors = None if all(e is None for e in errors) else [e or 0 for e in errors]
                axes.errorbar(xs, ys, yerr=errors, marker="o", capsize=3, label=name)
        _log2_if_powers(axes, [r["spec"][x] for r in ok])
        values = [r[key] for r in ok if r.get(key)]
        if values and min(values) > 0 and max(values) / min(values) > 20:
            axes.set_yscale("log")  # e.g. an MLP and a conv net on one throughput axis
        if key == "examples_per_sec":
            axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axes.set_xlabel(AXIS_LABELS.get(x, x.replace("_", " ")))
        axes.set_ylabel(label)
        axes.grid(alpha=0.3)
    handles, labels = figure.axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4), fontsize="small")
    figure.suptitle(title)
    return png(figure)


def _std(result: Result, key: str) -> float | None:
    spread = (result.get("seed_stats") or {}).get(key) or {}
    return spread.get("std") if (spread.get("n") or 1) > 1 else None


MODEL_PANELS = (("examples_per_sec", "throughput (examples/s)"), ("mfu", "MFU (fraction of the matmul peak)"))


def model_figure(question: str, title: str, results: Sequence[Result]) -> bytes | None:
    """Examples/s and MFU by model: a bar per configuration, coloured by strategy; None for fewer than 2 models."""
    ok = [r for r in results if r.get("status") == "ok" and r.get("examples_per_sec") is not None]
    models = list(dict.fromkeys(r["spec"]["model"] for r in ok))
    if len(models) < 2:
        return None
    strategies = list(dict.fromkeys(strategy_label(r) for r in ok))
    rows = sorted(ok, key=lambda r: (models.index(r["spec"]["model"]), r["spec"]["global_batch_size"],
                                     strategies.index(strategy_label(r))))  # fmt: skip
    names = [f"{r['spec']['model']}, batch {r['spec']['global_batch_size']}" for r in rows]
    colors = [f"C{strategies.index(strategy_label(r)) % 10}" for r in rows]
    figure = Figure(figsize=(max(6.0, 0.45 * len(rows)) * len(MODEL_PANELS), 4.6), layout="constrained")
    for index, (key, label) in enumerate(MODEL_PANELS):
        axes = figure.add_subplot(1, len(MODEL_PANELS), index + 1)
        axes.bar(range(len(rows)), [r.get(key) or 0 for r in rows], color=colors)
        axes.set_xticks(range(len(rows)), names, rotation=60, ha="right", fontsize="x-small")
        if key == "examples_per_sec":
            axes.set_yscale("log")  # images of 224x224 and token ids of 64 differ by orders of magnitude
            axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axes.set_ylabel(label)
        axes.grid(alpha=0.3, axis="y")
    handles = [Patch(color=f"C{i % 10}", label=name) for i, name in enumerate(strategies)]
    figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), fontsize="small")
    figure.suptitle(f"{title}: examples/s and MFU by model")
    return png(figure)


LINE_STYLES = ("-", "--", ":", "-.")


def _curve_style(result: Result, fields: Sequence[str], results: Sequence[Result]) -> tuple[str, str]:
    """Colour by the last varying field (e.g. batch size), line style by the others (e.g. model)."""
    if not fields:
        return "C0", "-"
    colors = sorted({repr(r["spec"].get(fields[-1])) for r in results}, key=lambda v: v.zfill(12))
    styles = sorted({repr([r["spec"].get(k) for k in fields[:-1]]) for r in results})
    color = colors.index(repr(result["spec"].get(fields[-1])))
    style = styles.index(repr([result["spec"].get(k) for k in fields[:-1]]))
    return f"C{color % 10}", LINE_STYLES[style % len(LINE_STYLES)]


def curves_figure(question: str, title: str, results: Sequence[Result]) -> bytes | None:
    """Test accuracy per epoch, a panel per strategy and a line per configuration; None without curves."""
    ok = [r for r in results if r.get("status") == "ok" and len(r.get("history") or []) > 1]
    if not ok or all((r.get("spec") or {}).get("dataset") == "synthetic" for r in ok):
        return None
    by_strategy: dict[str, list[Result]] = {}
    for result in ok:
        by_strategy.setdefault(strategy_label(result), []).append(result)
    fields = label_fields(ok, None)
    figure = Figure(figsize=(5.2 * len(by_strategy), 4.2), layout="constrained")
    for index, (strategy, rows) in enumerate(by_strategy.items()):
        axes = figure.add_subplot(1, len(by_strategy), index + 1, sharey=figure.axes[0] if index else None)
        for result in sorted(rows, key=lambda r: tuple(str(r["spec"].get(k)).zfill(8) for k in fields)):
            history = result["history"]
            label = ", ".join(f"{k}={result['spec'].get(k)}" for k in fields) or result["id"]
            color, style = _curve_style(result, fields, ok)
            axes.plot([h["epoch"] for h in history], [h["test_accuracy"] for h in history], marker=".",
                      color=color, linestyle=style, label=label)  # fmt: skip
        axes.set_title(strategy)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("epoch")
        axes.set_ylabel("test accuracy (fraction)")
        axes.grid(alpha=0.3)
        axes.legend(fontsize="x-small")
    figure.suptitle(f"{title}: learning curves")
    return png(figure)


NEWEST_COLORS = {"worse": "crimson", "better": "forestgreen"}


def trend_figure(key: str, series: Sequence[tuple[str, Sequence[tuple[str, float]], str]]) -> bytes:
    """One benchmark over time: a panel per (label, points, verdict), runs oldest to newest.

    The newest run is the big dot: red when worse, green when better, grey otherwise.
    """
    figure = Figure(figsize=(3.4 * len(series), 3.4), layout="constrained")
    for index, (label, points, verdict) in enumerate(series):
        axes = figure.add_subplot(1, len(series), index + 1)
        if points:
            names, values = zip(*points, strict=True)
            axes.plot(range(len(values)), values, marker="o")
            axes.plot(
                [len(values) - 1], [values[-1]], marker="o", color=NEWEST_COLORS.get(verdict, "dimgrey"), markersize=9
            )
            axes.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize="x-small")
        axes.set_ylabel(label, fontsize="small")
        axes.grid(alpha=0.3)
    figure.suptitle(key, fontsize="medium")
    return png(figure)
