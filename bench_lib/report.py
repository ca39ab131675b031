"""Renders results and learning-curve points as text; computes nothing itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def _num(value: object, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def spec_line(spec: Mapping[str, object]) -> str:
    """e.g. 'mirrored2-bs256-acc2-mlp-adam: digits, global batch 256 = 2 replicas x 2 accumulation x micro-batch 64'."""
    replicas = f"{spec['replicas']} replicas"
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
        text += f" by {entry['n']} of {len(entry['values'])} seeds"
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
        out += f"  loss scale {result['loss_scale_final']:g}, {result['loss_scale_skipped_steps']} steps skipped"
    return out


def performance_part(result: Mapping[str, object]) -> str:
    """e.g. '  63.1 GFLOP/s = MFU 0.47 of 134 GFLOP/s  CV 4%  input-bound'; empty for results without FLOPs."""
    if result.get("achieved_gflops") is None:
        return ""
    cv = result.get("step_time_cv")
    return (
        f"  {result['achieved_gflops']:,.1f} GFLOP/s = MFU {_num(result.get('mfu'), '.2f')} of "
        f"{_num(result.get('peak_gflops'), ',.0f')} GFLOP/s  CV {_num(None if cv is None else cv * 100, '.0f')}%"
        f"{'  input-bound' if result.get('input_bound') else ''}"
    )


def warning_lines(result: Mapping[str, object]) -> list[str]:
    """pyperf-style 'WARNING: <id>: ...' lines, one per measurement warning of the result."""
    return [f"WARNING: {result['id']}: {text}" for text in result.get("warnings") or ()]


TABLE_COLUMNS = (
    ("id", "id", "s"),
    ("status", "status", "s"),
    ("test acc", "test_accuracy", ".4f"),
    ("ex/s", "examples_per_sec", ",.0f"),
    ("scaling eff.", "scaling_efficiency", ".2f"),
    ("micro-batch", "micro_batch_size", "d"),
    ("TF peak MiB", "tf_peak_mib", ",.1f"),
    ("peak RSS MiB", "peak_rss_mib", ",.0f"),
    ("GFLOP/s", "achieved_gflops", ",.1f"),
    ("MFU", "mfu", ".2f"),
    ("CV", "step_time_cv", ".0%"),
    ("input-bound", "input_bound", "s"),
)
HARNESS_COLUMNS = (
    ("id", "id", "s"),
    ("suite ex/s", "examples_per_sec", ",.0f"),
    ("hand-written ex/s", "handwritten_examples_per_sec", ",.0f"),
    ("fit ex/s", "fit_examples_per_sec", ",.0f"),
    ("suite / hand-written", "suite_over_handwritten", ".3f"),
    ("suite / fit", "suite_over_fit", ".2f"),
    ("MFU", "mfu", ".2f"),
)
SCALING_COLUMNS = (
    ("id", "id", "s"),
    ("scaling", "kind", "s"),
    ("vs one replica", "one_replica_id", "s"),
    ("ex/s", "examples_per_sec", ",.0f"),
    ("one-replica ex/s", "one_replica_examples_per_sec", ",.0f"),
    ("efficiency", "efficiency", ".2f"),
)


# Extra columns of the questions whose answer is not in the common ones.
QUESTION_COLUMNS = {
    "noise_scale": (("B_simple", "noise_scale", ",.0f"), ("B_crit estimate", "critical_batch_size_estimate", ",.0f")),
    "precision": (("skipped steps", "loss_scale_skipped_steps", "d"),),
}


def _cell(value: object, fmt: str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _num(value, fmt)


def markdown_table(
    results: Iterable[Mapping[str, object]], question: str | None = None, *, columns: tuple | None = None
) -> str:
    """A Markdown table with a row per result (or row) dict: the common columns plus the question's own,
    or the given (title, key, format) columns."""
    if columns is None:
        columns = TABLE_COLUMNS + QUESTION_COLUMNS.get(question, ())
    header = "| " + " | ".join(title for title, _, _ in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    rows = ["| " + " | ".join(_cell(r.get(key), fmt) for _, key, fmt in columns) + " |" for r in results]
    return "\n".join([header, rule, *rows])
