"""Generates the manual's reference pages at build time from the code that defines them, so they cannot drift.

MkDocs calls on_files (mkdocs.yml `hooks:`); it adds, as pages that exist only in the built site:
- reference/suite-options.md from the suite's pytest_addoption and the profiles' values;
- reference/cli.md from the command line's argparse parser;
- reference/result-keys.md from the result's documented fields;
and the example run's plots (reports/example/*.png) as images the question pages show.
Nothing here imports TensorFlow.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from bench_lib.cli.arguments import build_parser
from bench_lib.config.spec import RunSpec
from bench_lib.suite import options as suite_options
from bench_lib.suite.profiles import PROFILES

GENERATED_NOTE = "*This page is generated from the code when the manual is built.*\n"
EXAMPLE_PLOTS = Path("reports/example")
MAX_USAGE_LINES = 4


def on_files(files: Files, config: MkDocsConfig) -> Files:
    pages = {
        "reference/suite-options.md": suite_options_page(),
        "reference/cli.md": cli_page(build_parser()),
        "reference/result-keys.md": result_keys_page(),
    }
    for uri, text in pages.items():
        files.append(File.generated(config, uri, content=text))
    root = Path(config.config_file_path).parent
    for plot in sorted((root / EXAMPLE_PLOTS).glob("*.png")):
        if plot.name != "screenshot.png":
            files.append(File.generated(config, f"img/example/{plot.name}", abs_src_path=str(plot)))
    return files


def _cell(text: object) -> str:
    """Text that stays inside one Markdown table cell."""
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def _value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, tuple):
        return ", ".join(f"`{v}`" for v in value)
    return f"`{value}`"


class _OptionRecorder:
    """Stands in for pytest's parser: records what pytest_addoption adds, in order."""

    def __init__(self) -> None:
        self.added: list[tuple[str, dict[str, object]]] = []

    def getgroup(self, name: str) -> _OptionRecorder:
        return self

    def addoption(self, name: str, **kwargs: object) -> None:
        self.added.append((name, kwargs))


def _profile_defaults(name: str) -> dict[str, str]:
    """Each profile's value of the fields an option sets ({} for options that set none)."""
    row = next((o for o in suite_options.OPTIONS if o.name == name), None)
    if row is None or not row.fields:
        return {}
    field = row.fields[0]
    return {profile: _value(getattr(p, field, None)) for profile, p in PROFILES.items()}


def suite_options_page() -> str:
    recorder = _OptionRecorder()
    suite_options.pytest_addoption(recorder)
    names = list(PROFILES)
    lines = [
        "# Suite options",
        "",
        GENERATED_NOTE,
        "The `--bench-*` options of `pytest benchmarks/`. An option left out takes the value of the "
        "profile `--bench-profile` chooses (the columns on the right); `—` means the option has no "
        "profile value (see its meaning). A bad value ends the session with one line naming the option "
        "and the value, before TensorFlow starts. pytest-benchmark's own options (`--benchmark-save`, "
        "`--benchmark-json`, …) work as usual. Under `full`, the dataset is `mnist` instead when Keras's "
        "`mnist.npz` is in its cache.",
        "",
        "| option | meaning | " + " | ".join(f"`{n}` profile" for n in names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for name, kwargs in recorder.added:
        defaults = _profile_defaults(name)
        if name == "--bench-profile":
            defaults = dict.fromkeys(names, "—")
        elif kwargs.get("action") == "store_true":
            defaults = dict.fromkeys(names, "off")
        cells = [defaults.get(n, "—") for n in names]
        lines.append(f"| `{name}` | {_cell(kwargs.get('help', ''))} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _option_row(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    if action.option_strings:
        name = ", ".join(f"`{o}`" for o in action.option_strings)
        if action.metavar:  # only a metavar the parser chose says more than the option's name
            name += f" `{action.metavar}`"
    else:
        name = f"`{action.metavar or action.dest}`" + (" …" if action.nargs in ("*", "+") else "")
    help_text = parser._get_formatter()._expand_help(action) if action.help else ""
    return f"| {name} | {_cell(help_text)} |"


def cli_page(parser: argparse.ArgumentParser) -> str:
    lines = ["# Command line", "", GENERATED_NOTE, f"`{parser.prog}` has these commands:", ""]
    commands = _subparser_action(parser)
    subcommands = dict(commands.choices)
    helps = {a.dest: a.help for a in commands._choices_actions}
    lines += [f"- [`{name}`](#{name}): {helps.get(name, '')}" for name in subcommands]
    for name, sub in subcommands.items():
        usage = sub.format_usage().strip()
        if usage.count("\n") > MAX_USAGE_LINES:  # run's dozens of options: the table lists them
            usage = f"usage: {sub.prog} [options]"
        lines += ["", f"## {name}", "", "```", usage, "```", ""]
        if sub.description:
            lines += [sub.description, ""]
        lines += ["| option | meaning |", "|---|---|"]
        lines += [_option_row(sub, a) for a in sub._actions if a.help != argparse.SUPPRESS and a.dest != "help"]
    return "\n".join(lines) + "\n"


def _subparser_action(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


# Until the metric registry describes each key, the descriptions live here; result_keys_page fails the
# build when a key of RunResult.as_dict() has no description or a description names no key.
RESULT_KEYS = {
    "schema_version": "the result format's version: 1",
    "id": "the configuration's stable id, e.g. `mirrored2-bs256-acc4-mlp-adam`",
    "spec": "every RunSpec field of the configuration",
    "status": "`ok`, `diverged` (a non-finite loss), `oom` (out of memory, or `memory_limit_mib` exceeded) or `failed`",
    "error": "the one-line error when the status is not `ok`",
    "test_accuracy": "of the final model on the test split, inference mode",
    "test_loss": "of the final model on the test split, inference mode",
    "train_accuracy": "of the final model on the whole training split, inference mode",
    "train_loss": "of the final model on the whole training split, inference mode",
    "examples_per_sec": "global examples (all replicas of all workers) per second over the timed steps",
    "step_time_ms": "`median`, `p90`, `iqr`, `mean`, `min` of the per-step time over the timed steps, ms",
    "optimizer_steps": "optimizer steps run",
    "timed_steps": "optimizer steps timed (warm-up excluded)",
    "diverged_at_step": "the optimizer step whose loss was not finite; null otherwise",
    "peak_rss_mib": "the process's peak resident memory while the configuration ran, MiB",
    "rss_growth_mib": "what the configuration added to the resident memory above its start, MiB",
    "tf_peak_mib": "TensorFlow's allocator peak above what it held at the start, MiB; null where TensorFlow "
    "cannot tell",
    "devices": "this process's replica devices (under multi_worker, the chief's)",
    "parameters": "trainable parameters",
    "wall_s": "wall time of the configuration, set-up to final evaluation, s",
    "history": "per epoch: `epoch`, `steps`, `train_loss`, `train_accuracy` (running means, training mode), "
    "`test_loss`, `test_accuracy`, `examples_per_sec`, `train_seconds` (summed step time so far)",
    "versions": "`tensorflow`, `keras`",
    "generalization_gap_accuracy": "train − test accuracy of the final model",
    "generalization_gap_loss": "test − train loss of the final model",
    "steps_to_target": "optimizer steps until the test accuracy first reached `target_accuracy`; null when "
    "not reached or no target",
    "examples_to_target": "steps to target × global batch",
    "seconds_to_target": "summed step time until the target, s (warm-up included, evaluation excluded)",
    "sharpness": "the sharpness probe's figure, percent; null when not probed",
    "seeds": "the seeds run",
    "seed_statuses": "each seed's status",
    "seed_stats": 'with several seeds, per metric `{"values", "mean", "std", "ci95", "n"}`; `{}` for one',
    "noise_scale": "B_simple = tr(Σ)/\\|G\\|² averaged over the run; null unless `noise_scale_batch_sizes` "
    "is set, or when the averaged \\|G\\|² was not positive",
    "critical_batch_size_estimate": "the critical batch size B_simple predicts (the same number)",
    "noise_scale_detail": "`small_batch_size`, `big_batch_size`, `measurements`, `trace_sigma`, `grad_norm_sq`, "
    "`first_half_noise_scale`, `second_half_noise_scale`",
    "loss_scale_final": "`mixed_float16` only: the dynamic loss scale at the end",
    "loss_scale_skipped_steps": "`mixed_float16` only: optimizer steps skipped for non-finite gradients",
    "scaling_efficiency": "suite runs with more than one replica: `examples_per_sec` / (`replicas` × that of "
    "the one-replica run of the same spec in the same session); null when there is none",
    "flops_per_step": "training FLOPs of one optimizer step (global batch), by the convention of the Performance page",
    "achieved_gflops": "FLOPs per second over the timed steps, GFLOP/s",
    "peak_gflops": "the devices' calibrated (or declared) matmul peak, GFLOP/s",
    "mfu": "achieved over peak",
    "input_batch_ms": "median time the input pipeline alone takes per global batch, ms",
    "input_bound": "true when `input_batch_ms` exceeds the median step",
    "step_time_cv": "coefficient of variation (std / mean) of the timed calls' per-step times",
    "warnings": "`unstable` (CV over 10%), `too few rounds` (fewer than 10 timed calls)",
    "workers": "workers of the cluster: 1 except for `multi_worker`",
    "replicas_per_worker": "replicas in each worker",
    "replicas": "every replica of the run: workers × replicas per worker",
    "global_batch_size": "examples per optimizer step over all replicas",
    "micro_batch_size": "examples per replica per accumulation step",
    "accumulation_steps": "micro-batches accumulated per optimizer step",
    "scaled_learning_rate": "the learning rate after `lr_scaling`, once warm-up is over",
}

SUITE_EXTRA_KEYS = (
    "A saved suite run's `extra_info` also holds `question`, `train_traces` (how often the step was traced: 1) "
    "and, for the harness question, `handwritten_examples_per_sec`, `fit_examples_per_sec`, "
    "`suite_over_handwritten` and `suite_over_fit` (medians over the interleaved rounds), their `…_spread` "
    "(`median`, `q1`, `q3`, `min`, `max`, `n`), `harness_rounds`, `harness_block_steps` and "
    "`harness_block_examples_per_sec`; the max-batch question's holds `max_batch_size`, "
    "`min_failing_batch_size`, `limit_mib`, `resolution` and `trials`."
)


def result_keys_page() -> str:
    from bench_lib.record.result import RunResult

    keys = list(RunResult(spec=RunSpec(), status="ok").as_dict())
    undescribed = [k for k in keys if k not in RESULT_KEYS]
    stale = [k for k in RESULT_KEYS if k not in keys]
    if undescribed or stale:
        raise ValueError(f"result keys without a description: {undescribed}; described but absent: {stale}")
    lines = [
        "# Result keys",
        "",
        GENERATED_NOTE,
        "A result is the JSON that `python -m bench_lib run --json` writes and the `extra_info` of every "
        "benchmark in a saved suite run. Figures are null when the run did not get that far; results saved "
        "before a key existed read back with it null. With several seeds every metric key holds the mean over "
        "the seeds (see `seed_stats`).",
        "",
        "| key | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{key}` | {RESULT_KEYS[key]} |" for key in keys]
    lines += ["", SUITE_EXTRA_KEYS]
    return "\n".join(lines) + "\n"
