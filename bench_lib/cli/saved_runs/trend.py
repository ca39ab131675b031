"""`tfbench trend`: the newest run against its machine's history, a plot and an HTML page per benchmark."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench_lib.analysis import computation
from bench_lib.analysis import trend as history_trend
from bench_lib.cli.saved_runs import Printer, exit_status
from bench_lib.cli.saved_runs.loading import load_warnings, warn_stderr
from bench_lib.cli.saved_runs.writing import safe_name, write_all
from bench_lib.record import history
from bench_lib.record.history import SavedRun
from bench_lib.render import plots, trend_pages
from bench_lib.render import verdict_tables as verdict_report


def _trend_runs(selectors: Sequence[str], storage: Path) -> tuple[list[SavedRun], bool]:
    if selectors:
        return history.load_selected(selectors, storage, warn=warn_stderr)
    runs = []
    for path in history.saved_files(storage):
        try:
            runs.append(history.load_run(path))
        except history.HistoryError as error:
            warn_stderr(f"{error}; left out of the trend")
    if not runs:
        warn_stderr(f"no saved runs in {storage}/; run `make bench` a few times or pass RUN paths")
    return runs, not runs


def _history(loaded: Sequence[SavedRun], order: str) -> tuple[list[SavedRun], list[str]]:
    """The newest whole run's machine history in the asked order, and one line per run left out, saying why."""
    left_out = []
    whole = []
    for run in loaded:
        if reason := history.partial(run):
            left_out.append(f"`{run.name}`: {reason}")
        else:
            whole.append(run)
    if not whole:
        return [], left_out
    newest = history.ordered(whole, "saved")[-1]
    runs = []
    for run in whole:
        if split := history.machine_split(newest.machine, run.machine):
            left_out.append(f"`{run.name}`: another machine or set-up ({'; '.join(split)})")
        else:
            runs.append(run)
    return history.ordered(runs, order), left_out


def trend_command(
    selectors: Sequence[str], *, thresholds: dict[str, float], k: float, window: int, storage: Path,
    reports: Path, order: str = "saved", fail_insensitive: bool = False, say: Printer = print,
) -> int:  # fmt: skip
    loaded, named_failed = _trend_runs(selectors, storage)
    if not loaded:
        return 2
    runs, left_out = _history(loaded, order)
    for line in left_out:
        warn_stderr(f"left out of the trend: {line}")
    if not runs:
        warn_stderr("no whole saved run to follow")
        return 2
    loaded_lines = load_warnings(runs[-window - 1 :])
    result = history_trend.trend(runs, thresholds, k=k, window=window)
    files: dict[str, str | bytes] = {}
    plot_names: dict[str, str] = {}
    pages: dict[str, str] = {}
    worst: dict[str, str] = {}
    for key in runs[-1].by_key():
        panels = [(s.metric.label + (f" ({s.metric.unit})" if s.metric.unit else ""), s.points, s.verdict.verdict)
                  for s in result.series if s.key == key and s.metric.compare != "status"]  # fmt: skip
        stem = safe_name(key.replace("/", "--"))
        files[stem + ".png"] = plots.trend_figure(key, panels)
        plot_names[key] = stem + ".png"
        mine = [s for s in result.series if s.key == key and s.metric.compare != "status"]
        files[stem + ".html"] = trend_pages.benchmark_page(key, mine, trend_pages.band_figure(key, mine))
        pages[key] = stem + ".html"
        worst[key] = next(s.verdict.verdict for s in result.series if s.key == key)  # the series are worst first
    files["index.html"] = trend_pages.index_page(pages, worst, len(runs))
    changed = computation.changed_in_history(runs)
    text = verdict_report.trend_markdown(
        runs,
        result,
        plot_names,
        k,
        window,
        left_out,
        thresholds,
        loaded_lines,
        order=order,
        computation_changed=changed,
        pages=pages,
    )
    files["trend.md"] = text
    folder = reports / "trend"
    write_all(folder, files)
    say(text.split("\n## Plots")[0])
    say(f"wrote {len(files)} files to {folder}/; each benchmark's history and noise band: {folder / 'index.html'}")
    status = exit_status(result.any_worse, fail_insensitive and bool(result.insensitive(thresholds)))
    return status if status else (2 if named_failed else 0)
