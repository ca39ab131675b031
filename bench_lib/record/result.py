"""The result of one configuration: a frozen record with a documented, JSON-ready dict form."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from bench_lib.config.spec import RunSpec
from bench_lib.maths import stats
from bench_lib.record.epoch import EpochRecord

SCHEMA_VERSION = 1
# Every status a result can have, with its meaning (the result-keys reference lists them from here).
# The last three are those of a configuration run in its own process (--bench-isolate).
STATUSES = {
    "ok": "it finished",
    "diverged": "a non-finite loss",
    "oom": "out of memory, or `memory_limit_mib` exceeded",
    "failed": "any other error",
    "crashed": "its process died by a signal",
    "killed": "its process died by SIGKILL: the kernel's OOM killer, or kill -9",
    "timeout": "its process was still running after `--bench-timeout` and was killed",
}


@dataclass(frozen=True, kw_only=True)
class RunResult:
    """What one configuration measured. Figures are None when the run did not get that far.

    Every figure is declared in bench_lib.record.metrics (a test keeps the two equal), which says
    how seeds, compare, trend, the tables and the export treat it.

    step_time_ms holds median, p90, iqr, mean and min over the timed steps (warm-up excluded);
    examples_per_sec is global examples (all replicas of all workers) over the summed time of
    those steps. scaling_efficiency is set where the single-replica run of the same
    configuration was measured too (see with_scaling_efficiency).
    generalization_gap_accuracy is train - test accuracy, generalization_gap_loss test - train
    loss: both positive when the model fits its training data better than unseen data.
    steps/examples/seconds_to_target are None when no target was set or it was not reached.
    A run with several seeds holds the mean over its ok seeds in every metric field, the seeds
    in `seeds`, and per metric {"values", "mean", "std", "ci95", "n"} in `seed_stats`.
    noise_scale is McCandlish et al.'s B_simple averaged over the run (None unless the spec set
    noise_scale_batch_sizes, or when the averaged |G|² was not positive);
    critical_batch_size_estimate is the batch size it predicts beyond which bigger batches stop
    cutting the steps to a target (B_crit ≈ B_simple). loss_scale_final and
    loss_scale_skipped_steps are mixed_float16's dynamic loss scale at the end and the optimizer
    steps it skipped for non-finite gradients (None for other precisions).
    examples_per_sec is global examples over the summed time of those steps. flops_per_step
    counts one optimizer step by bench_lib.probes.flops' convention; achieved_gflops is that over the
    timed steps' time and mfu its fraction of peak_gflops, the devices' calibrated matmul peak in
    peak_precision, the precision the step's matrix products run in (runs saved without it: float32).
    The steps are timed in blocks of block_steps optimizer steps (bench_lib/engine/timed_blocks.py);
    step_time_ms holds their per-step times' median with its distribution-free 95 % interval
    (median_ci95_low, median_ci95_high; left out under 6 blocks), p90, iqr, mean and min, and
    step_time_cv and warnings judge their stability.
    input_cost is one minus the run's examples/s over those of the same step fed materialized
    batches, measured interleaved after training where the pipeline reshuffles (None for
    synthetic data, which is fed materialized); input_bound is True when it exceeds
    bench_lib.engine.input_cost.INPUT_BOUND_COST; input_cost_of names the configuration it was
    measured on where that is another one of the same step and pipeline. Runs saved earlier hold input_batch_ms, the
    pipeline alone per batch, and an input_bound judged by it.
    step_peak_mib is the training step's own TensorFlow peak: variables and optimizer state plus
    what one step allocates above them (gradients, activations, temporaries); input_pipeline_mib
    what building the training pipeline allocated on the same allocators (its copies of the data).
    time_to_first_step_s runs from the start of preparation to the end of the first call, less
    the once-per-process calibration of peak_gflops;
    trace_s is tracing the step, first_step_s the first call, and first_step_overhead_s its time
    above a steady call (XLA compilation, graph optimization, kernel set-up).
    cpu_s is the process's CPU time (every thread, user and system) over the same span as wall_s.
    computation is the traced step's fingerprint: exact counts of what it computes
    (bench_lib/probes/step_graph.py), None for a configuration that failed before it was read.
    """

    spec: RunSpec
    status: str
    error: str | None = None
    test_accuracy: float | None = None
    test_loss: float | None = None
    train_accuracy: float | None = None
    train_loss: float | None = None
    examples_per_sec: float | None = None
    step_time_ms: dict[str, float] | None = None
    optimizer_steps: int = 0
    timed_steps: int = 0
    diverged_at_step: int | None = None
    peak_rss_mib: float | None = None
    rss_growth_mib: float | None = None
    peak_anon_mib: float | None = None
    tf_peak_mib: float | None = None
    devices: list[str] = field(default_factory=list)
    parameters: int | None = None
    wall_s: float = 0.0
    cpu_s: float | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    generalization_gap_accuracy: float | None = None
    generalization_gap_loss: float | None = None
    steps_to_target: float | None = None
    examples_to_target: float | None = None
    seconds_to_target: float | None = None
    sharpness: float | None = None
    seeds: list[int] = field(default_factory=list)
    seed_statuses: list[str] = field(default_factory=list)
    seed_stats: dict[str, dict[str, object]] = field(default_factory=dict)
    noise_scale: float | None = None
    critical_batch_size_estimate: float | None = None
    noise_scale_detail: dict[str, object] | None = None
    loss_scale_final: float | None = None
    loss_scale_skipped_steps: int | None = None
    scaling_efficiency: float | None = None
    flops_per_step: int | None = None
    achieved_gflops: float | None = None
    peak_gflops: float | None = None
    peak_precision: str | None = None
    mfu: float | None = None
    input_batch_ms: float | None = None
    input_bound: bool | None = None
    step_time_cv: float | None = None
    warnings: list[str] = field(default_factory=list)
    block_steps: int | None = None
    input_cost: float | None = None
    input_cost_of: str | None = None  # the configuration input_cost was measured on, when another
    step_peak_mib: float | None = None
    input_pipeline_mib: float | None = None
    time_to_first_step_s: float | None = None
    trace_s: float | None = None
    first_step_s: float | None = None
    first_step_overhead_s: float | None = None
    computation: dict[str, object] | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status={self.status!r} is not allowed: use one of {', '.join(STATUSES)}")

    @property
    def replicas(self) -> int:
        return self.spec.replicas

    def as_dict(self) -> dict[str, object]:
        """The documented JSON form: every field, spec as a dict, plus the derived batch sizes."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["spec"] = self.spec.as_dict()
        out = {
            "schema_version": SCHEMA_VERSION,
            "id": self.spec.id,
            **out,
            "workers": self.spec.workers,
            "replicas_per_worker": self.spec.replicas_per_worker,
            "replicas": self.spec.replicas,
            "global_batch_size": self.spec.global_batch_size,
            "micro_batch_size": self.spec.micro_batch_size,
            "accumulation_steps": self.spec.accumulation_steps,
            "scaled_learning_rate": self.spec.scaled_learning_rate,
        }
        return out

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> RunResult:
        """Raises:
        ValueError: the dict is from another schema version or lacks a field.
        """
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(f"schema_version={version!r} is not allowed: this tfbench reads {SCHEMA_VERSION}")
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["spec"] = RunSpec.from_dict(dict(data["spec"]))
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=False, allow_nan=True)


def with_scaling_efficiency(result: dict[str, object], earlier: list[dict[str, object]]) -> dict[str, object]:
    """The result dict with scaling_efficiency set against its single-replica run among `earlier` dicts.

    The baseline is the `ok` one_device run whose spec equals this one's with 1 replica on 1
    worker (same global batch, accumulation, model, data, budget and seed). Unchanged when
    there is none, when this run is itself single-replica, or when it has no throughput.
    """
    spec = RunSpec.from_dict(dict(result["spec"]))
    if spec.replicas == 1 or result.get("examples_per_sec") is None:
        return result
    baseline = spec.single_replica().as_dict()
    for other in earlier:
        if other.get("status") == "ok" and other.get("spec") == baseline and other.get("examples_per_sec"):
            efficiency = stats.scaling_efficiency(other["examples_per_sec"], result["examples_per_sec"], spec.replicas)
            return {**result, "scaling_efficiency": efficiency}
    return result


def step_time_summary(step_times_s: list[float]) -> dict[str, float] | None:
    if not step_times_s:
        return None
    ms = [t * 1000 for t in step_times_s]
    summary = {
        "median": stats.median(ms),
        "p90": stats.quantile(ms, 0.9),
        "iqr": stats.iqr(ms),
        "mean": sum(ms) / len(ms),
        "min": min(ms),
    }
    ci = stats.median_ci(ms)
    if ci is not None:  # every value stays a number: the interval is left out where there is none
        summary["median_ci95_low"], summary["median_ci95_high"] = ci
    return summary


def history_dicts(history: list[EpochRecord]) -> list[dict[str, float]]:
    return [dataclasses.asdict(record) for record in history]
