"""Declares every figure a result carries — its label, unit, direction and how each reader treats it — once.

Seeds (which figures get a mean and an interval), compare and trend (which figures they judge,
by which rule, in which direction), the suite's summary table, the github-action-benchmark
export, the reader of old saved runs (a figure saved before it existed reads as null) and the
result-keys reference all read METRICS; a new metric is an entry here plus the RunResult field
that holds it. DETAILS and SUITE_KEYS describe the result's other keys for the reference.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

DIRECTIONS = ("higher", "lower", None)
# The rules compare and trend judge a metric by (bench_lib.analysis.verdict applies them), in the
# order their rows are listed: status (leaving `ok` is worse), time (the benchmark's timed rounds),
# throughput (relative change, significant over the rounds), accuracy (percentage points, over the
# seeds' spread), memory (relative change of at least a MiB).
COMPARE_RULES = ("status", "time", "throughput", "accuracy", "memory")


@dataclass(frozen=True, kw_only=True)
class Metric:
    """One figure of a result and how every reader of saved runs treats it.

    key: the result key, a RunResult field, e.g. "examples_per_sec".
    label: its name in compare, trend and the export, e.g. "throughput".
    unit: of its value, e.g. "MiB"; "" for a ratio, a fraction or a count.
    direction: which way is better, "higher" or "lower"; None when neither is.
    fmt: the format spec of its value in tables, e.g. ",.0f".
    description: one sentence for the result-keys reference.
    seeded: with several seeds the result holds its mean over the ok seeds, seed_stats its spread.
    compare: the rule (one of COMPARE_RULES) compare and trend judge it by; None: not judged.
    exported: github-action-benchmark's JSON tracks it (the bigger- or smaller-is-better file by direction).
    column: its title in the suite's summary table; "" leaves it out.
    summary: for a figure that is a dict, the entry that stands for it (step_time_ms's "median").
    export_label: github-action-benchmark's series name when it is not label (published series keep theirs).

    Raises:
      ValueError: a field outside what is allowed, naming it.
    """

    key: str
    label: str
    unit: str
    direction: str | None
    fmt: str
    description: str
    seeded: bool = False
    compare: str | None = None
    exported: bool = False
    column: str = ""
    summary: str = ""
    export_label: str = ""

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"{self.key}: direction={self.direction!r} is not allowed: use 'higher', 'lower' or None")
        if self.compare not in (*COMPARE_RULES, None):
            raise ValueError(f"{self.key}: compare={self.compare!r} is not allowed: use one of {COMPARE_RULES} or None")
        judged = self.exported or self.compare not in (None, "status")
        if judged and self.direction is None:
            raise ValueError(f"{self.key}: direction=None is not allowed for a compared or exported metric")


def _m(key: str, label: str, unit: str, direction: str | None, fmt: str, description: str, **how: object) -> Metric:
    return Metric(key=key, label=label, unit=unit, direction=direction, fmt=fmt, description=description, **how)


# Registry order is the order of the summary table's columns, of the export's entries and of compare's
# rows within one rule. Units in labels and descriptions follow the key's suffix (_ms, _mib, _s).
METRICS: tuple[Metric, ...] = (
    _m("status", "status", "", None, "s", "`ok`, `diverged` (a non-finite loss), `oom` (out of memory, or "
       "`memory_limit_mib` exceeded) or `failed`.", compare="status"),
    _m("test_accuracy", "test accuracy", "", "higher", ".4f", "Accuracy of the final model on the test split, "
       "inference mode.", seeded=True, compare="accuracy", exported=True, column="test acc"),
    _m("test_loss", "test loss", "", "lower", ".4f", "Loss of the final model on the test split, inference mode.",
       seeded=True),
    _m("train_accuracy", "train accuracy", "", "higher", ".4f", "Accuracy of the final model on the whole "
       "training split, inference mode.", seeded=True),
    _m("train_loss", "train loss", "", "lower", ".4f", "Loss of the final model on the whole training split, "
       "inference mode.", seeded=True),
    _m("generalization_gap_accuracy", "train - test accuracy", "", None, ".4f", "Train minus test accuracy of the "
       "final model: positive when it fits its training data better than unseen data.", seeded=True),
    _m("generalization_gap_loss", "test - train loss", "", None, ".4f", "Test minus train loss of the final "
       "model: positive when it fits its training data better than unseen data.", seeded=True),
    _m("examples_per_sec", "throughput", "examples/s", "higher", ",.0f", "Global examples (all replicas of all "
       "workers) per second over the timed steps.", seeded=True, compare="throughput", exported=True,
       column="ex/s"),
    _m("step_time_ms", "step time (median)", "ms", "lower", ".3f", "`median`, `p90`, `iqr`, `mean` and `min` of "
       "the per-step time over the timed steps (warm-up excluded); compare judges the benchmark's timed rounds.",
       compare="time", exported=True, summary="median", export_label="step time median"),
    _m("scaling_efficiency", "scaling efficiency", "", "higher", ".2f", "Suite runs with more than one replica: "
       "`examples_per_sec` over `replicas` times that of the one-replica run of the same spec measured earlier "
       "in the same session; null when there is none.", column="scaling eff."),
    _m("tf_peak_mib", "TF peak memory", "MiB", "lower", ",.1f", "TensorFlow's allocator peak above what it held "
       "at the start; null where TensorFlow cannot tell.", seeded=True, compare="memory", exported=True,
       column="TF peak MiB"),
    _m("peak_rss_mib", "peak host memory", "MiB", "lower", ",.1f", "The process's peak resident memory while the "
       "configuration ran.", seeded=True, compare="memory", exported=True, column="peak RSS MiB"),
    _m("rss_growth_mib", "host memory growth", "MiB", "lower", ",.1f", "What the configuration added to the "
       "resident memory above its start.", seeded=True),
    _m("achieved_gflops", "achieved GFLOP/s", "GFLOP/s", "higher", ",.1f", "Training FLOPs per second over the "
       "timed steps.", seeded=True, column="GFLOP/s"),
    _m("mfu", "MFU", "", "higher", ".2f", "Model FLOPs utilization: `achieved_gflops` over `peak_gflops`.",
       seeded=True, column="MFU"),
    _m("step_time_cv", "step time CV", "", "lower", ".0%", "Coefficient of variation (std / mean) of the timed "
       "calls' per-step times.", column="CV"),
    _m("input_bound", "input-bound", "", None, "s", "True when the input pipeline alone needs longer per batch "
       "(`input_batch_ms`) than the median step.", column="input-bound"),
    _m("input_batch_ms", "input pipeline per batch", "ms", None, ".3f", "Median time the input pipeline alone "
       "takes per global batch."),
    _m("flops_per_step", "FLOPs per step", "FLOPs", None, ",d", "Training FLOPs of one optimizer step over the "
       "global batch, by the FLOP-counting convention of bench_lib.probes.flops."),
    _m("peak_gflops", "peak GFLOP/s", "GFLOP/s", None, ",.0f", "The devices' calibrated (or declared) matmul "
       "peak."),
    _m("steps_to_target", "steps to target", "steps", "lower", ",.0f", "Optimizer steps until the test accuracy "
       "first reached `target_accuracy`; null when not reached or no target was set.", seeded=True),
    _m("examples_to_target", "examples to target", "examples", "lower", ",.0f", "`steps_to_target` times the "
       "global batch.", seeded=True),
    _m("seconds_to_target", "seconds to target", "s", "lower", ".2f", "Summed step time until the target was "
       "reached (warm-up included, evaluation excluded).", seeded=True),
    _m("sharpness", "sharpness", "%", None, ".3g", "The sharpness probe's figure in percent; null when not "
       "probed.", seeded=True),
    _m("noise_scale", "noise scale B_simple", "examples", None, ",.0f", "B_simple = tr(Σ)/|G|² averaged over "
       "the run; null unless `noise_scale_batch_sizes` is set, or when the averaged |G|² was not positive.",
       seeded=True),
    _m("critical_batch_size_estimate", "critical batch size estimate", "examples", None, ",.0f", "The batch size "
       "beyond which bigger batches stop cutting the steps to a target, as B_simple predicts it (the same "
       "number).", seeded=True),
    _m("loss_scale_final", "final loss scale", "", None, "g", "`mixed_float16` only: the dynamic loss scale at "
       "the end."),
    _m("loss_scale_skipped_steps", "skipped steps", "steps", None, "d", "`mixed_float16` only: optimizer steps "
       "skipped for non-finite gradients."),
    _m("optimizer_steps", "optimizer steps", "steps", None, "d", "Optimizer steps run."),
    _m("timed_steps", "timed steps", "steps", None, "d", "Optimizer steps timed (warm-up excluded)."),
    _m("diverged_at_step", "diverged at step", "", None, "d", "The optimizer step whose loss was not finite; null "
       "otherwise."),
    _m("parameters", "parameters", "", None, ",d", "Trainable parameters of the model."),
    _m("wall_s", "wall time", "s", "lower", ".1f", "Wall time of the configuration, set-up to final evaluation.",
       seeded=True),
)  # fmt: skip


def metric(key: str) -> Metric:
    """The registered metric of a result key.

    Raises:
      ValueError: no metric has that key.
    """
    for entry in METRICS:
        if entry.key == key:
            return entry
    raise ValueError(f"metric={key!r} is not allowed: metrics are {', '.join(m.key for m in METRICS)}")


@contextlib.contextmanager
def registered(*extra: Metric) -> Iterator[tuple[Metric, ...]]:
    """For tests: METRICS with `extra` appended while the block runs, restored after it.

    Raises:
      ValueError: a key is registered already or twice.
    """
    global METRICS  # the registry itself; its readers look it up at call time
    keys = [m.key for m in (*METRICS, *extra)]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValueError(f"metric keys {repeated} are not allowed: each key once")
    saved = METRICS
    METRICS = (*METRICS, *extra)
    try:
        yield METRICS
    finally:
        METRICS = saved


@dataclass(frozen=True)
class ResultKey:
    """A result key that is not a metric: what the configuration was, and the run's details."""

    key: str
    description: str


# The keys of RunResult.as_dict() that are not metrics (a test keeps METRICS and DETAILS equal to them).
DETAILS: tuple[ResultKey, ...] = (
    ResultKey("schema_version", "The result format's version: 1."),
    ResultKey("id", "The configuration's stable id, e.g. `mirrored2-bs256-acc4-mlp-adam`."),
    ResultKey("spec", "Every RunSpec field of the configuration."),
    ResultKey("error", "The one-line error when the status is not `ok`."),
    ResultKey("workers", "Workers of the cluster: 1 except for `multi_worker`."),
    ResultKey("replicas_per_worker", "Replicas in each worker."),
    ResultKey("replicas", "Every replica of the run: workers × replicas per worker."),
    ResultKey("global_batch_size", "Examples per optimizer step over all replicas."),
    ResultKey("micro_batch_size", "Examples per replica per accumulation step."),
    ResultKey("accumulation_steps", "Micro-batches accumulated per optimizer step."),
    ResultKey("scaled_learning_rate", "The learning rate after `lr_scaling`, once warm-up is over."),
    ResultKey("devices", "This process's replica devices (under `multi_worker`, the chief's)."),
    ResultKey("versions", "`tensorflow` and `keras`."),
    ResultKey("history", "Per epoch: `epoch`, `steps`, `train_loss`, `train_accuracy` (running means, training "
              "mode), `test_loss`, `test_accuracy`, `examples_per_sec`, `train_seconds` (summed step time so far)."),
    ResultKey("seeds", "The seeds run."),
    ResultKey("seed_statuses", "Each seed's status."),
    ResultKey("seed_stats", 'With several seeds, per seeded metric `{"values", "mean", "std", "ci95", "n"}`; '
              "`{}` for one seed."),
    ResultKey("noise_scale_detail", "`small_batch_size`, `big_batch_size`, `measurements`, `trace_sigma`, "
              "`grad_norm_sq`, `first_half_noise_scale` and `second_half_noise_scale`."),
    ResultKey("warnings", "Pyperf-style warnings on the timings: `unstable` (CV over 10%), `too few rounds` "
              "(fewer than 10 timed calls)."),
)  # fmt: skip

# What a saved suite run's extra_info holds beside the result.
SUITE_KEYS: tuple[ResultKey, ...] = (
    ResultKey("question", "The question (benchmark module) the configuration belongs to."),
    ResultKey("train_traces", "How often the training step was traced: 1."),
    ResultKey("handwritten_examples_per_sec, fit_examples_per_sec", "The harness question: the hand-written "
              "loop's and `Model.fit`'s throughput on the same configuration."),
    ResultKey("suite_over_handwritten, suite_over_fit", "The harness question: the suite's throughput over each, "
              "medians over the interleaved rounds; their `…_spread` holds `median`, `q1`, `q3`, `min`, `max`, "
              "`n`."),
    ResultKey("harness_rounds, harness_block_steps, harness_block_examples_per_sec", "The harness question: its "
              "interleaved rounds, the steps of one block, and each variant's throughput per block."),
    ResultKey("max_batch_size, min_failing_batch_size, limit_mib, resolution, trials", "The max-batch question's "
              "search: the biggest batch that fitted the memory limit, the smallest that did not, and its trials."),
)  # fmt: skip
