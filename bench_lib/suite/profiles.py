"""The suite's run-size profiles: QUICK (the default, under 5 minutes on 2 cores) and FULL.

A profile holds every question's grid; benchmark modules pick from it in their grid(profile).
To add a figure a benchmark needs, add a field to Profile and its value to QUICK (FULL
inherits it unless it overrides it); an option that changes it is one row of options.OPTIONS.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

from bench_lib.config.spec import RunSpec


@dataclass(frozen=True, kw_only=True)
class Profile:
    """How big a suite run is. Grids are per question; benchmarks pick from them."""

    name: str
    epochs: int
    dataset: str
    strategies: tuple[str, ...]
    replicas: int
    batch_sizes: tuple[int, ...]
    effective_batch_size: int
    accumulation_steps: tuple[int, ...]
    accumulation_models: tuple[str, ...]
    bn_batch_sizes: tuple[int, ...]
    throughput_batch_sizes: tuple[int, ...]
    throughput_models: tuple[str, ...]
    throughput_blocks: int  # timed blocks of each step-cost configuration (throughput, harness)
    warmup_steps: int
    fixed_steps: int  # the batch-size question's fixed-steps budget
    seeds: int | None  # --bench-seeds: every question; None: each question's own default
    question_seeds: int  # the default of the questions that need intervals (LR scaling, time to accuracy)
    lr_batch_sizes: tuple[int, ...]
    lr_optimizers: tuple[str, ...]
    lr_warmup_epochs: float
    sharpness_samples: int
    target_accuracy: float
    target_batch_sizes: tuple[int, ...]
    target_lr_scalings: tuple[str, ...]
    target_check_examples: int
    target_max_epochs: int
    precisions: tuple[str, ...]
    precision_models: tuple[str, ...]
    sync_bn_modes: tuple[str, ...]
    sync_bn_batch_sizes: tuple[int, ...]
    sync_bn_epochs: int
    noise_scale_batch_sizes: tuple[int, int]
    noise_scale_models: tuple[str, ...]
    # The multi_worker cluster: workers from TF_CONFIG (1 without), replicas in each.
    workers: int = 1
    replicas_per_worker: int = 1
    harness_batch_sizes: tuple[int, ...]
    harness_hidden_units: tuple[int, ...]
    harness_blocks: int
    mfu_batch_sizes: tuple[int, ...]
    knob_batch_size: int
    # --bench-rounds: timed rounds of every configuration, replacing its epoch or step budget.
    rounds: int | None = None
    # --bench-processes: processes per configuration of measure_run, the suite's own included.
    processes: int = 1

    max_batch_model: str
    max_batch_limit_mib: int
    max_batch_start: int
    max_batch_resolution: int
    deterministic: bool = False
    memory_limit_mib: int | None = None

    def spec(self, **fields: object) -> RunSpec:
        """A RunSpec with this profile's defaults under the given fields (and --bench-seeds over all)."""
        base = {
            "epochs": self.epochs,
            "dataset": self.dataset,
            "warmup_steps": self.warmup_steps,
            "deterministic": self.deterministic,
            "memory_limit_mib": self.memory_limit_mib,
        }
        forced = {"seeds": self.seeds} if self.seeds is not None else {}
        spec = RunSpec(**{**base, **fields, **forced})
        if self.rounds is not None:
            spec = spec.replace(timed_blocks=self.rounds)
        return spec

    def seeds_of_question(self) -> int:
        return self.seeds if self.seeds is not None else self.question_seeds

    def replicas_for(self, strategy: str) -> int:
        return self.shape(strategy)["replicas"]

    def shape(self, strategy: str) -> dict[str, object]:
        """The strategy, replicas and, for multi_worker, workers fields of a spec."""
        if strategy == "multi_worker":
            return {"strategy": strategy, "replicas": self.workers * self.replicas_per_worker, "workers": self.workers}
        return {"strategy": strategy, "replicas": 1 if strategy == "one_device" else self.replicas}

    def grid(self, **axes: object) -> list[dict[str, object]]:
        """Spec fields for every strategy crossed with every combination of the axes.

        An axis is a tuple of values or a single value, e.g.
        grid(global_batch_size=(32, 128), model="cnn").
        """
        values = [v if isinstance(v, tuple) else (v,) for v in axes.values()]
        return [
            {**self.shape(strategy), **dict(zip(axes, point, strict=True))}
            for strategy in self.strategies
            for point in itertools.product(*values)
        ]


QUICK = Profile(
    name="quick",
    epochs=5,
    dataset="digits",
    strategies=("one_device", "mirrored"),
    replicas=2,
    batch_sizes=(32, 128, 512),
    effective_batch_size=256,
    accumulation_steps=(1, 4, 8),
    accumulation_models=("mlp", "cnn"),
    bn_batch_sizes=(8, 64, 256),
    throughput_batch_sizes=(64, 256, 1024),
    throughput_models=("mlp", "cnn"),
    throughput_blocks=12,
    warmup_steps=3,
    fixed_steps=220,  # batch 32's budget at 5 epochs of digits
    seeds=None,
    question_seeds=3,
    lr_batch_sizes=(32, 512),
    lr_optimizers=("adam",),
    lr_warmup_epochs=1.0,
    sharpness_samples=3,
    target_accuracy=0.85,
    target_batch_sizes=(16, 128, 1024),
    target_lr_scalings=("linear",),
    target_check_examples=256,
    target_max_epochs=40,
    precisions=("float32", "mixed_bfloat16", "mixed_float16"),
    precision_models=("mlp",),
    sync_bn_modes=("local", "sync"),
    sync_bn_batch_sizes=(16,),
    sync_bn_epochs=2,
    noise_scale_batch_sizes=(16, 512),
    noise_scale_models=("mlp",),
    harness_batch_sizes=(64, 512),
    harness_hidden_units=(512, 512),
    harness_blocks=20,  # interleaved rounds: 10 left the batch-64 IQR wider than the target margin
    mfu_batch_sizes=(512, 2048),
    knob_batch_size=256,
    max_batch_model="cnn",
    max_batch_limit_mib=128,
    max_batch_start=64,
    max_batch_resolution=32,
)
FULL = dataclasses.replace(
    QUICK,
    name="full",
    epochs=20,
    dataset="mnist_5k",
    batch_sizes=(16, 32, 64, 128, 256, 512, 1024),
    effective_batch_size=512,
    accumulation_steps=(1, 2, 4, 8, 16),
    bn_batch_sizes=(4, 8, 16, 32, 64, 128, 256),
    throughput_batch_sizes=(64, 128, 256, 512, 1024, 2048, 4096),
    throughput_blocks=30,
    warmup_steps=5,
    fixed_steps=2500,  # batch 32's budget at 20 epochs of mnist_5k
    question_seeds=5,
    lr_batch_sizes=(32, 128, 512, 1024),
    lr_optimizers=("adam", "momentum"),
    lr_warmup_epochs=2.0,
    sharpness_samples=10,
    target_accuracy=0.9,
    target_batch_sizes=(16, 32, 64, 128, 256, 512, 1024, 2048),
    target_lr_scalings=("none", "sqrt", "linear"),
    target_check_examples=1024,
    target_max_epochs=60,
    precision_models=("mlp", "cnn"),
    sync_bn_modes=("none", "local", "sync"),
    sync_bn_batch_sizes=(8, 16, 32, 64, 128),
    sync_bn_epochs=20,
    noise_scale_models=("mlp", "mlp_bn", "cnn"),
    harness_batch_sizes=(64, 256, 1024, 4096),
    harness_blocks=40,
    mfu_batch_sizes=(512, 1024, 2048, 4096),
    max_batch_limit_mib=1024,
    max_batch_resolution=1,
)
PROFILES = {p.name: p for p in (QUICK, FULL)}
