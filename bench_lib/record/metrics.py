"""Declares every figure a result carries — its label, unit, direction and how each reader treats it — once.

Seeds (which figures get a mean and an interval), compare and trend (which figures they judge,
by which rule, in which direction), the suite's summary table, the github-action-benchmark
export, the reader of old saved runs (a figure saved before it existed reads as null) and the
result-keys reference all read METRICS, a bench_lib.config.registry.Registry like the models and
the questions; a new metric is an entry here plus the RunResult field that holds it. DETAILS and
SUITE_KEYS describe the result's other keys for the reference; a key only one question saves is
declared by that question (bench_lib.questions, `result_keys`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench_lib.config.registry import Registry
from bench_lib.maths.inference import Margin
from bench_lib.record.result import STATUSES

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
    words: how a sentence of the findings names it, e.g. "the number of steps to the target"; "" for a
      figure no sentence follows (a question's `metric` must have words).
    sentence_fmt: the format spec of its value in a sentence where that is not fmt (an accuracy reads
      ".3f" in a sentence, ".4f" in a table); "" is fmt.
    margin: with words, the equivalence margin inside which a sentence calls two of its values "the
      same" (bench_lib.analysis.family); None without words.

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
    words: str = ""
    sentence_fmt: str = ""
    margin: Margin | None = None

    @property
    def sentence_format(self) -> str:
        """The format spec of its value in a sentence of the findings."""
        return self.sentence_fmt or self.fmt

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"{self.key}: direction={self.direction!r} is not allowed: use 'higher', 'lower' or None")
        if self.compare not in (*COMPARE_RULES, None):
            raise ValueError(f"{self.key}: compare={self.compare!r} is not allowed: use one of {COMPARE_RULES} or None")
        judged = self.exported or self.compare not in (None, "status")
        if judged and self.direction is None:
            raise ValueError(f"{self.key}: direction=None is not allowed for a compared or exported metric")
        if bool(self.words) != (self.margin is not None):
            raise ValueError(
                f"{self.key}: words={self.words!r} with margin={self.margin!r} is not allowed: a metric a sentence "
                "follows has both, any other neither"
            )


def _status_description() -> str:
    """The status metric's description, listing every status of bench_lib.record.result.STATUSES."""
    listed = [f"`{status}` ({meaning})" for status, meaning in STATUSES.items()]
    return f"{', '.join(listed[:-1])} or {listed[-1]}."


# The equivalence margins sentences judge by: one accuracy point, ±20% of a count or a time.
_POINT = Margin("difference", 0.01)
_FACTOR = Margin("ratio", 0.2)

# Registry order is the order of the summary table's columns, of the export's entries and of compare's
# rows within one rule. Units in labels and descriptions follow the key's suffix (_ms, _mib, _s).
METRICS: Registry[Metric] = Registry("metric", key="key", built_in=(
    Metric(key="status", label="status", unit="", direction=None, fmt="s", compare="status",
           description=_status_description()),
    Metric(key="test_accuracy", label="test accuracy", unit="", direction="higher", fmt=".4f", seeded=True,
           compare="accuracy", exported=True, column="test acc", words="test accuracy",
           sentence_fmt=".3f", margin=_POINT,
           description="Accuracy of the final model on the test split, inference mode."),
    Metric(key="test_loss", label="test loss", unit="", direction="lower", fmt=".4f", seeded=True,
           description="Loss of the final model on the test split, inference mode."),
    Metric(key="train_accuracy", label="train accuracy", unit="", direction="higher", fmt=".4f", seeded=True,
           description="Accuracy of the final model on the whole training split, inference mode."),
    Metric(key="train_loss", label="train loss", unit="", direction="lower", fmt=".4f", seeded=True,
           description="Loss of the final model on the whole training split, inference mode."),
    Metric(key="generalization_gap_accuracy", label="train − test accuracy", unit="", direction=None, fmt=".4f",
           seeded=True, words="train − test accuracy", sentence_fmt=".3f", margin=_POINT,
           description="Train minus test accuracy of the final model: positive when it fits its training data "
                       "better than unseen data."),
    Metric(key="generalization_gap_loss", label="test − train loss", unit="", direction=None, fmt=".4f",
           seeded=True,
           description="Test minus train loss of the final model: positive when it fits its training data better "
                       "than unseen data."),
    Metric(key="examples_per_sec", label="throughput", unit="examples/s", direction="higher", fmt=",.0f",
           seeded=True, compare="throughput", exported=True, column="ex/s", words="examples/s",
           margin=Margin("ratio", 0.05),
           description="Global examples (all replicas of all workers) per second over the timed steps."),
    Metric(key="step_time_ms", label="step time (median)", unit="ms", direction="lower", fmt=".3f",
           compare="time", exported=True, summary="median", export_label="step time median",
           description="`median` with its distribution-free 95% interval `median_ci95_low`, `median_ci95_high` (absent "
                       "under 6 blocks), "
                       "`p90`, `iqr`, `mean` and `min` of the timed blocks' per-step times (warm-up excluded); "
                       "compare judges the benchmark's timed rounds."),
    Metric(key="scaling_efficiency", label="scaling efficiency", unit="", direction="higher", fmt=".2f",
           column="scaling eff.",
           description="Suite runs with more than one replica: `examples_per_sec` over `replicas` times that of "
                       "the one-replica run of the same spec measured earlier in the same session; null when there"
                       " is none."),
    Metric(key="tf_peak_mib", label="TF peak memory", unit="MiB", direction="lower", fmt=",.1f", seeded=True,
           compare="memory", exported=True, column="TF peak MiB",
           description="TensorFlow's allocator peak above what it held at the start; null where TensorFlow cannot "
                       "tell, and in the harness question, whose alternatives allocate in the same window (its "
                       "step's own peak is `step_peak_mib`)."),
    Metric(key="peak_rss_mib", label="peak host memory", unit="MiB", direction="lower", fmt=",.1f", seeded=True,
           exported=True, column="peak RSS MiB",
           description="The process's peak resident memory while the configuration ran, the shared libraries' "
                       "resident pages included (how many of those are resident depends on the page cache, so "
                       "compare judges `peak_anon_mib`)."),
    Metric(key="peak_anon_mib", label="peak host memory without shared libraries", unit="MiB", direction="lower",
           fmt=",.1f", seeded=True, compare="memory",
           description="`peak_rss_mib` less the file-backed and shared-memory pages resident at the end of the "
                       "configuration (Linux's RssFile and RssShmem): the memory the process allocated; null "
                       "where the kernel does not report them."),
    Metric(key="rss_growth_mib", label="host memory growth", unit="MiB", direction="lower", fmt=",.1f",
           seeded=True,
           description="What the configuration added to the resident memory above its start."),
    Metric(key="achieved_gflops", label="achieved GFLOP/s", unit="GFLOP/s", direction="higher", fmt=",.1f",
           seeded=True, column="GFLOP/s",
           description="Training FLOPs per second over the timed steps."),
    Metric(key="mfu", label="MFU", unit="", direction="higher", fmt=".2f", seeded=True, column="MFU",
           description="Model FLOPs utilization: `achieved_gflops` over `peak_gflops`."),
    Metric(key="step_time_cv", label="step time CV", unit="", direction="lower", fmt=".0%", column="CV",
           description="Coefficient of variation (std / mean) of the timed blocks' per-step times."),
    Metric(key="input_bound", label="input-bound", unit="", direction=None, fmt="s", column="input-bound",
           description="True when `input_cost` exceeds 0.05 (runs saved earlier: when the pipeline alone, "
                       "`input_batch_ms`, needed longer per batch than the median step); null for synthetic data."),
    Metric(key="input_cost", label="input cost", unit="", direction="lower", fmt=".2f",
           description="One minus the examples/s with the run's pipeline over those of the same step fed "
                       "materialized batches, measured interleaved after training; null for synthetic data, which "
                       "is fed materialized. Measured once per step and pipeline in a process: "
                       "`input_cost_of` names the configuration it was measured on when that is another."),
    Metric(key="input_batch_ms", label="input pipeline per batch", unit="ms", direction=None, fmt=".3f",
           description="Runs saved by earlier versions: median time the input pipeline alone took per global "
                       "batch; null now."),
    Metric(key="step_peak_mib", label="step peak memory", unit="MiB", direction="lower", fmt=",.1f", seeded=True,
           description="The training step's own TensorFlow peak: variables and optimizer state plus what one step "
                       "allocates above them (gradients, activations, temporaries)."),
    Metric(key="input_pipeline_mib", label="input pipeline memory", unit="MiB", direction=None, fmt=",.1f",
           description="What building the training pipeline allocated on TensorFlow's allocators: its copies of "
                       "the data."),
    Metric(key="time_to_first_step_s", label="time to first step", unit="s", direction="lower", fmt=".2f",
           description="From the start of preparation (data, strategy, model, pipeline, tracing) to the end of the "
                       "first call, less the once-per-process calibration of `peak_gflops`."),
    Metric(key="trace_s", label="tracing", unit="s", direction="lower", fmt=".2f",
           description="Tracing the training step."),
    Metric(key="first_step_s", label="first step", unit="s", direction="lower", fmt=".2f",
           description="The first call of the training step."),
    Metric(key="first_step_overhead_s", label="first-step overhead", unit="s", direction="lower", fmt=".2f",
           description="The first call's time above a steady call: XLA compilation under `jit_compile`, otherwise "
                       "graph optimization and kernel set-up."),
    Metric(key="flops_per_step", label="FLOPs per step", unit="FLOPs", direction=None, fmt=",d",
           description="Training FLOPs of one optimizer step over the global batch, by the FLOP-counting "
                       "convention of bench_lib.probes.flops."),
    Metric(key="peak_gflops", label="peak GFLOP/s", unit="GFLOP/s", direction=None, fmt=",.0f",
           description="The devices' calibrated (or declared) matmul peak in `peak_precision`."),
    Metric(key="steps_to_target", label="steps to target", unit="steps", direction="lower", fmt=",.0f",
           seeded=True, words="the number of steps to the target", margin=_FACTOR,
           description="Optimizer steps until the test accuracy first reached `target_accuracy`; null when not "
                       "reached or no target was set."),
    Metric(key="examples_to_target", label="examples to target", unit="examples", direction="lower", fmt=",.0f",
           seeded=True, words="the number of examples to the target", margin=_FACTOR,
           description="`steps_to_target` times the global batch."),
    Metric(key="seconds_to_target", label="seconds to target", unit="s", direction="lower", fmt=",.2f",
           seeded=True, words="the time to the target", margin=_FACTOR,
           description="Summed step time until the target was reached (warm-up included, evaluation excluded)."),
    Metric(key="sharpness", label="sharpness", unit="%", direction=None, fmt=".3g", seeded=True,
           words="sharpness", margin=_FACTOR,
           description="The sharpness probe's figure in percent; null when not probed."),
    Metric(key="noise_scale", label="noise scale B_simple", unit="examples", direction=None, fmt=",.0f",
           seeded=True, words="the simple noise scale B_simple", margin=Margin("ratio", 0.5),
           description="B_simple = tr(Σ)/|G|² averaged over the run; null unless `noise_scale_batch_sizes` is set,"
                       " or when the averaged |G|² was not positive."),
    Metric(key="critical_batch_size_estimate", label="critical batch size estimate", unit="examples",
           direction=None, fmt=",.0f", seeded=True,
           description="The batch size beyond which bigger batches stop cutting the steps to a target, as B_simple"
                       " predicts it (the same number)."),
    Metric(key="loss_scale_final", label="final loss scale", unit="", direction=None, fmt="g",
           description="`mixed_float16` only: the dynamic loss scale at the end."),
    Metric(key="loss_scale_skipped_steps", label="skipped steps", unit="steps", direction=None, fmt="d",
           description="`mixed_float16` only: optimizer steps skipped for non-finite gradients."),
    Metric(key="optimizer_steps", label="optimizer steps", unit="steps", direction=None, fmt="d",
           description="Optimizer steps run."),
    Metric(key="timed_steps", label="timed steps", unit="steps", direction=None, fmt="d",
           description="Optimizer steps timed (warm-up excluded)."),
    Metric(key="block_steps", label="steps per block", unit="steps", direction=None, fmt="d",
           description="Optimizer steps in one timed block, calibrated from the warm-up calls."),
    Metric(key="diverged_at_step", label="diverged at step", unit="", direction=None, fmt="d",
           description="The optimizer step whose loss was not finite; null otherwise."),
    Metric(key="parameters", label="parameters", unit="", direction=None, fmt=",d",
           description="Trainable parameters of the model."),
    Metric(key="wall_s", label="wall time", unit="s", direction="lower", fmt=".1f", seeded=True,
           description="Wall time of the configuration, set-up to final evaluation."),
    Metric(key="cpu_s", label="process CPU time", unit="s", direction=None, fmt=".1f", seeded=True,
           description="The process's CPU time (all its threads, user and system) over the span of `wall_s`: "
                       "well below `wall_s` times the cores it may use, other work took the machine."),
))  # fmt: skip


def metric(key: str) -> Metric:
    """The registered metric of a result key.

    Raises:
      ValueError: no metric has that key.
    """
    return METRICS.get(key)


def heading(key: str) -> str:
    """A metric's column title in a report: its label, then its unit unless the label names it already.

    e.g. "peak host memory, MiB", "steps to target".

    Raises:
      ValueError: no metric has that key.
    """
    entry = metric(key)
    return f"{entry.label}, {entry.unit}" if entry.unit and entry.unit not in entry.label.split() else entry.label


def column(key: str) -> tuple[str, str, str]:
    """A metric's (title, key, format) column in a report table, from its registry entry.

    Raises:
      ValueError: no metric has that key.
    """
    return heading(key), key, metric(key).fmt


def sentence_metrics() -> tuple[str, ...]:
    """The keys of the metrics a sentence of the findings can follow (those with words)."""
    return tuple(m.key for m in METRICS if m.words)


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
    ResultKey("input_cost_of", "The configuration `input_cost` was measured on, where that is another one of the "
              "same step and pipeline (it differs in seed, budget, learning rate or probes only); absent otherwise."),
    ResultKey("peak_precision", "The precision `peak_gflops` was calibrated in, that of the step's matrix products: "
              "`float32`, `bfloat16` (mixed_bfloat16), `float16` (mixed_float16) or `tensorfloat32` (float32 on a GPU "
              "with TF32 enabled); absent in runs saved before it, whose peak is float32's."),
    ResultKey("computation", "The traced training step's fingerprint, exact counts that two runs of the same "
              "code share: `op_counts` (op type: count, the step and every function it calls once), `optimizer`, "
              "`optimizer_ops`, `flops`, `output_bytes`, `parameters`, `variables`, `collectives`, "
              "`collective_bytes`, `device_copies`, `device_copy_bytes`, `host_device_copies`, "
              "`host_device_copy_bytes`; `fingerprint_s` is the seconds counting took (not compared)."),
    ResultKey("warnings", "Pyperf-style warnings on the timings: `unstable` (CV over 10%), `too few rounds` "
              "(fewer than 10 timed blocks), `no process medians` (a further process of --bench-processes "
              "failed)."),
)  # fmt: skip

# What a saved suite run's extra_info holds beside the result.
SUITE_KEYS: tuple[ResultKey, ...] = (
    ResultKey("question", "The question (benchmark module) the configuration belongs to."),
    ResultKey("train_traces", "How often the training step was traced: 1."),
    ResultKey("process_medians", "With `--bench-processes N`: the median step time of each of the N processes "
              "that ran the configuration, the suite's own first, in ms per optimizer step."),
    ResultKey("seeds_until_decided", "With `--bench-seeds-until-decided` (the full profile's default): "
              '{"first": seeds the configuration started with, "cap": the most it could reach}, on every '
              "configuration that could get seeds; `seeds` holds those it got."),
    ResultKey("process_passes", "Beside `process_medians`: the pass of the session each median was measured in "
              "(0 the suite's own; pass k ran the k-th further process of every configuration)."),
)  # fmt: skip
