"""Renders results and learning-curve points as text; computes nothing itself."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bench_lib import questions
from bench_lib.config.wording import count
from bench_lib.record import metrics


def _num(value: object, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def spec_line(spec: Mapping[str, object]) -> str:
    """e.g. 'mirrored2-bs256-acc2-mlp-adam: digits, global batch 256 = 2 replicas x 2 accumulation x micro-batch 64'."""
    replicas = count(spec["replicas"], "replica")
    if spec.get("workers", 1) > 1:
        replicas += f" ({spec['workers']} workers x {spec['replicas'] // spec['workers']})"
    return (
        f"{spec['id']}: {spec['dataset']}, global batch {spec['global_batch_size']} = {replicas} "
        f"x {spec['accumulation_steps']} accumulation x micro-batch {spec['micro_batch_size']}"
    )


def epoch_line(record: Mapping[str, object], epochs: int | None = None) -> str:
    """e.g. 'epoch 3/5  loss 0.4123  acc 0.8712  test_acc 0.8650  24,512 ex/s'."""
    of = f"/{epochs}" if epochs else ""
    return (
        f"epoch {record['epoch']}{of}  loss {_num(record['train_loss'], '.4f')}  "
        f"acc {_num(record['train_accuracy'], '.4f')}  test_acc {_num(record['test_accuracy'], '.4f')}  "
        f"{_num(record['examples_per_sec'], ',.0f')} ex/s"
    )


def seeded(result: Mapping[str, object], key: str, fmt: str) -> str:
    """A metric as 'mean ± std (n=k)' when several seeds measured it, else its value."""
    entry = (result.get("seed_stats") or {}).get(key)
    if entry and entry.get("std") is not None:
        return f"{format(entry['mean'], fmt)} ± {format(entry['std'], fmt)} (n={entry['n']})"
    return _num(result.get(key), fmt)


def target_text(result: Mapping[str, object]) -> str:
    """e.g. 'target 0.9 reached at step 120 (3,840 examples, 1.52 s)', or '... not reached'."""
    target = (result.get("spec") or {}).get("target_accuracy")
    if target is None:
        return ""
    if result.get("steps_to_target") is None:
        return f"target {target:g} not reached"
    text = (
        f"target {target:g} reached at step {seeded(result, 'steps_to_target', ',.0f')} "
        f"({seeded(result, 'examples_to_target', ',.0f')} examples, {seeded(result, 'seconds_to_target', '.2f')} s)"
    )
    entry = (result.get("seed_stats") or {}).get("steps_to_target")
    if entry and entry["n"] < len(entry["values"]):
        text += f" by {entry['n']} of {count(len(entry['values']), 'seed')}"
    return text


def summary_line(result: Mapping[str, object]) -> str:
    """One line for one result dict (RunResult.as_dict())."""
    head = f"{result['id']}: {result['status']}"
    if result.get("error"):
        return f"{head}: {result['error']}"
    step = result.get("step_time_ms") or {}
    extras = [target_text(result)]
    if result.get("sharpness") is not None:
        extras.append(f"sharpness {seeded(result, 'sharpness', '.3g')}")
    return (
        f"{head}  test_acc {seeded(result, 'test_accuracy', '.4f')}  "
        f"{_num(result['examples_per_sec'], ',.0f')} ex/s  "
        f"step {_num(step.get('median'), '.2f')} ms (p90 {_num(step.get('p90'), '.2f')})  "
        f"micro-batch {result['micro_batch_size']} x {result['accumulation_steps']} acc x {result['replicas']} rep  "
        f"peak RSS {_num(result['peak_rss_mib'], ',.0f')} MiB  TF peak {_num(result['tf_peak_mib'], ',.1f')} MiB  "
        f"{result['optimizer_steps']} steps in {_num(result['wall_s'], '.1f')} s"
        + "".join(f"  {extra}" for extra in extras if extra)
        + _extras(result)
        + performance_part(result)
    )


def _extras(result: Mapping[str, object]) -> str:
    """The noise scale and float16 loss scaling, where the run measured them."""
    out = ""
    if (detail := result.get("noise_scale_detail")) is not None:
        out += (
            f"  noise scale B_simple {_num(result.get('noise_scale'), ',.0f')} "
            f"(from {detail['measurements']} measurements at batches {detail['small_batch_size']},"
            f"{detail['big_batch_size']})"
        )
    if result.get("loss_scale_final") is not None:
        out += (
            f"  loss scale {result['loss_scale_final']:g}, {count(result['loss_scale_skipped_steps'], 'step')} skipped"
        )
    return out


def performance_part(result: Mapping[str, object]) -> str:
    """e.g. '  63.1 GFLOP/s = MFU 0.47 of 134 GFLOP/s float32  CV 4%  input-bound'; empty for results without FLOPs.

    The peak's precision is `peak_precision`, float32 in runs saved before it was recorded.
    """
    if result.get("achieved_gflops") is None:
        return ""
    cv = result.get("step_time_cv")
    cv_percent = None if cv is None else cv * 100
    precision = result.get("peak_precision") or "float32"
    return (
        f"  {result['achieved_gflops']:,.1f} GFLOP/s = MFU {_num(result.get('mfu'), '.2f')} of "
        f"{_num(result.get('peak_gflops'), ',.0f')} GFLOP/s {precision}  CV {_num(cv_percent, '.0f')}%"
        f"{'  input-bound' if result.get('input_bound') else ''}"
    )


def warning_lines(result: Mapping[str, object]) -> list[str]:
    """pyperf-style 'WARNING: <id>: ...' lines, one per measurement warning of the result."""
    return [f"WARNING: {result['id']}: {text}" for text in result.get("warnings") or ()]


# The summary table: what a row is and how it ended, then a column per metric that declares one.
CONFIGURATION_COLUMNS = (("id", "id", "s"), ("status", "status", "s"), ("micro-batch", "micro_batch_size", "d"))


def table_columns() -> tuple[tuple[str, str, str], ...]:
    """The summary table's (title, key, format) columns; the metrics' come from bench_lib.record.metrics."""
    return CONFIGURATION_COLUMNS + tuple((m.column, m.key, m.fmt) for m in metrics.METRICS if m.column)


SCALING_COLUMNS = (
    ("id", "id", "s"),
    ("scaling", "kind", "s"),
    ("vs one replica", "one_replica_id", "s"),
    ("ex/s", "examples_per_sec", ",.0f"),
    ("one-replica ex/s", "one_replica_examples_per_sec", ",.0f"),
    ("efficiency", "efficiency", ".2f"),
)


def question_columns(question: str | None) -> tuple[questions.Column, ...]:
    """The extra columns of a question whose answer is not in the common ones (none for an unknown question)."""
    entry = questions.find(question) if question else None
    return entry.columns if entry else ()


def _cell(value: object, fmt: str | Callable[[object], str]) -> str:
    if callable(fmt):
        return "-" if value is None else fmt(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _num(value, fmt)


def markdown_table(
    results: Iterable[Mapping[str, object]], question: str | None = None, *, columns: tuple | None = None
) -> str:
    """A Markdown table with a row per result (or row) dict: the common columns plus the question's own,
    or the given (title, key, format) columns."""
    if columns is None:
        columns = table_columns() + question_columns(question)
    header = "| " + " | ".join(title for title, _, _ in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    rows = ["| " + " | ".join(_cell(r.get(key), fmt) for _, key, fmt in columns) + " |" for r in results]
    return "\n".join([header, rule, *rows])


# --- Reports of saved runs: tables rendered as Markdown here and as HTML by bench_lib.render.page ---

# Spec fields that say what a configuration is; the ones that vary inside a question label its lines.
SPEC_ORDER = ("model", "optimizer", "global_batch_size", "accumulation_steps", "precision", "dataset")


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]


def to_markdown(table: Table) -> str:
    lines = [f"**{table.title}**", ""] if table.title else []
    lines.append("| " + " | ".join(table.header) + " |")
    lines.append("|" + "|".join("---" for _ in table.header) + "|")
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table.rows]
    return "\n".join(lines)


def question_title(question: str) -> str:
    """Its registry title; a question this version does not know (from an older run) gets its name as words."""
    entry = questions.find(question)
    return entry.title if entry else question.replace("_", " ").capitalize()


def strategy_label(result: Mapping[str, object]) -> str:
    """e.g. 'one_device', 'mirrored, 2 replicas', 'multi_worker, 2 workers x 2 replicas'."""
    strategy = (result.get("spec") or {}).get("strategy", "?")
    replicas, workers = result.get("replicas") or 1, result.get("workers") or 1
    if workers > 1:
        return f"{strategy}, {workers} workers x {result.get('replicas_per_worker')} replicas"
    return strategy if replicas == 1 else f"{strategy}, {replicas} replicas"


def status_cell(result: Mapping[str, object]) -> str:
    status = str(result.get("status"))
    if result.get("diverged_at_step") is not None:
        status += f" at step {result['diverged_at_step']}"
    error = result.get("error")
    return f"{status}: {str(error)[:80]}" if error else status


def run_header() -> tuple[str, ...]:
    """The run table's titles; its metrics' come from the registry."""
    step_time = metrics.heading("step_time_ms")
    iqr = f"its IQR, {metrics.metric('step_time_ms').unit}"
    memory = (metrics.heading("peak_rss_mib"), metrics.heading("tf_peak_mib"))
    return ("configuration", metrics.heading("test_accuracy"), metrics.heading("examples_per_sec"), step_time, iqr,
            *memory, "status")  # fmt: skip


# Figures only some questions measure: a column appears in a table when one of its rows has the figure.
OPTIONAL_COLUMNS = ("steps_to_target", "seconds_to_target", "generalization_gap_accuracy", "sharpness")


def optional_columns() -> tuple[questions.Column, ...]:
    """OPTIONAL_COLUMNS, then every question's extra columns, in report order."""
    own = tuple(column for q in questions.all_questions() for column in q.columns)
    return tuple(metrics.column(key) for key in OPTIONAL_COLUMNS) + own


def _optional_cell(result: Mapping[str, object], key: str, fmt: str) -> str:
    try:
        return seeded(result, key, fmt)
    except (TypeError, ValueError):  # e.g. a seed mean of a whole-number figure
        return str(result.get(key))


def _fmt(key: str) -> str:
    return metrics.metric(key).fmt


def run_row(result: Mapping[str, object], optional: Iterable[tuple[str, str, str]] = ()) -> tuple[str, ...]:
    step = result.get("step_time_ms") or {}
    return (
        str(result.get("id")),
        seeded(result, "test_accuracy", _fmt("test_accuracy")),
        seeded(result, "examples_per_sec", _fmt("examples_per_sec")),
        _num(step.get("median"), _fmt("step_time_ms")),
        _num(step.get("iqr"), _fmt("step_time_ms")),
        _num(result.get("peak_rss_mib"), _fmt("peak_rss_mib")),
        _num(result.get("tf_peak_mib"), _fmt("tf_peak_mib")),
        *(_optional_cell(result, key, fmt) for _, key, fmt in optional),
        status_cell(result),
    )


def config_sort_key(result: Mapping[str, object]) -> tuple:
    spec = result.get("spec") or {}
    return (*(str(spec.get(k, "")).zfill(12) for k in SPEC_ORDER), str(result.get("id")))


def strategy_tables(results: Iterable[Mapping[str, object]]) -> list[Table]:
    """One table per strategy (in order of appearance), rows sorted by configuration."""
    by_strategy: dict[str, list[Mapping[str, object]]] = {}
    for result in results:
        by_strategy.setdefault(strategy_label(result), []).append(result)
    tables = []
    for label, rows in by_strategy.items():
        optional = [c for c in optional_columns() if any(r.get(c[1]) is not None for r in rows)]
        header = (*run_header()[:-1], *(title for title, _, _ in optional), "status")
        tables.append(Table(label, header, [run_row(r, optional) for r in sorted(rows, key=config_sort_key)]))
    return tables


def rows_table(table: questions.RowsTable) -> Table:
    """A question's table of plain rows (e.g. from what it saved beside its results) as a report table."""
    header = tuple(title for title, _, _ in table.columns)
    return Table(
        table.title, header, [tuple(_cell(r.get(key), fmt) for _, key, fmt in table.columns) for r in table.rows]
    )


def question_tables(results: Iterable[Mapping[str, object]], question: str) -> list[Table]:
    """strategy_tables(), then the question's extra table over the results that have its figure."""
    results = list(results)
    tables = strategy_tables(results)
    entry = questions.find(question)
    extra = entry.table if entry else None
    rows = [r for r in results if r.get(extra.row_key) is not None] if extra else []
    if rows:
        header = tuple(title for title, _, _ in extra.columns)
        cells = [tuple(_cell(r.get(key), fmt) for _, key, fmt in extra.columns) for r in rows]
        tables.append(Table(extra.title, header, cells))
    return tables


def machine_rows(machine: Mapping[str, object], commit: Mapping[str, object], replicas: Iterable[int]) -> list:
    """(label, value) pairs describing where and with what a run was measured."""
    gpus = machine.get("gpu_names") or []
    commit_id = str(commit.get("id") or "")[:12] or "-"
    if commit.get("dirty"):
        commit_id += " (uncommitted changes)"
    if commit.get("branch"):
        commit_id += f" on {commit['branch']}"
    env = machine.get("tf_env") or {}
    return [
        ("CPU", f"{machine.get('cpu_model', '-')}, {machine.get('cpu_cores_logical', '-')} logical cores, "
                f"{_num(machine.get('memory_total_mib'), ',')} MiB RAM"),
        ("GPUs", ", ".join(gpus) if gpus else "none"),
        ("TensorFlow / Keras / Python", f"{machine.get('tensorflow', '-')} / {machine.get('keras', '-')} / "
                                        f"{machine.get('python_version', '-')}"),
        ("replicas", ", ".join(str(r) for r in sorted(set(replicas))) +
                     f" (logical CPU devices {machine.get('logical_cpu_devices', '-')})"),
        ("profile", str(machine.get("tfbench_profile", "-"))),
        ("commit", commit_id),
        ("TF environment", ", ".join(f"{k}={v}" for k, v in env.items()) or "-"),
    ]  # fmt: skip


def report_markdown(
    title: str,
    facts: list,
    sections: list,
    plots: Mapping[str, list[str]],
    findings: Iterable[str] = (),
    at_a_glance: Table | None = None,
) -> str:
    """report.md: facts are (label, value) pairs; sections are (question, [Table]); plots map question -> files;
    at_a_glance (glance_table) leads the findings, whose sentences follow as the long form."""
    lines = [f"# tfbench report: {title}", "", "| | |", "|---|---|"]
    lines += [f"| {label} | {value} |" for label, value in facts]
    findings = list(findings)
    if findings or (at_a_glance and at_a_glance.rows):
        lines += ["", "## Findings"]
    if at_a_glance and at_a_glance.rows:
        lines += ["", to_markdown(at_a_glance)]
    if findings:
        lines += ["", *(f"- {sentence}" for sentence in findings)]
    for question, tables in sections:
        lines += ["", f"## {question_title(question)}", ""]
        lines += [f"![{name}]({name})" for name in plots.get(question, [])]
        for table in tables:
            lines += ["", to_markdown(table)]
    return "\n".join(lines) + "\n"


def glance_table(rows: Iterable[Sequence[str]]) -> Table:
    """The findings at a glance (bench_lib.analysis.glance rows) as a report table."""
    return Table("Findings at a glance", GLANCE_HEADER, [tuple(row) for row in rows])


GLANCE_HEADER = ("question", "answer", "evidence (mean [95% CI] (n) at each end)", "verdict")
