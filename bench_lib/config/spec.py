"""Describes one benchmark configuration as a validated, frozen RunSpec."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from bench_lib.config import checks, collective, datasets, models
from bench_lib.config.checks import check_batch_pair, check_bool, check_choice, check_fraction, check_int
from bench_lib.config.models import BATCH_NORMS
from bench_lib.config.refusal import fail

STRATEGIES = ("one_device", "mirrored", "multi_worker")
OPTIMIZERS = ("sgd", "momentum", "adam")
LR_SCALINGS = ("none", "linear", "sqrt")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
# How the global batches reach the replicas: strategy.experimental_distribute_dataset over one
# pipeline of global batches, or strategy.distribute_datasets_from_function building the pipeline.
DISTRIBUTE_INPUTS = ("dataset", "function")
DEFAULT_HIDDEN_UNITS = (128,)

# The set whose accuracy target_accuracy is checked on.
TARGET_SETS = ("test", "train")
# Keras's own defaults, used when a spec leaves learning_rate unset.
DEFAULT_LEARNING_RATES = {"sgd": 0.01, "momentum": 0.01, "adam": 0.001}


def check_image_shape(spec: RunSpec, shape: tuple[int, ...]) -> None:
    """The spec's model can take images of this shape (one example's, e.g. 8x8x1), or a one-line error.

    Called for a built-in dataset when the spec is made, and by the loader of a set whose shape is
    known only from its files (tfds:NAME), before any model is built.

    Raises:
      ValueError: naming the dataset, its image size, what the model needs and what would fit.
    """
    side = models.declared(spec.model).min_image_side
    if side is None or len(shape) != 3 or min(shape[:2]) >= side:
        return
    fits = [name for name, given in datasets.IMAGE_SHAPES.items() if min(given[:2]) >= side]
    small = [model for model in models.names() if _takes_small_images(model)]
    fail(
        "dataset",
        spec.dataset,
        f"it gives {'x'.join(map(str, shape))} images and model={spec.model!r} needs at least {side}x{side}; "
        f"use dataset={' or '.join(map(repr, [*fits, 'synthetic']))} with this model, "
        f"or a model that takes small images: {', '.join(small)}",
    )


def _takes_small_images(name: str) -> bool:
    model = models.declared(name)
    return model.input_kind == "images" and model.min_image_side is None


def _field(default: object, help: str, *, choices: object = None, metavar: str | None = None) -> Any:
    """A RunSpec field and what `tfbench run --help` says of it: help, the allowed values (a tuple, or a
    function returning one, for a registry), and the metavar of a list."""
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices, "metavar": metavar})


@dataclass(frozen=True, kw_only=True)
class RunSpec:
    """One configuration: what to train, on what, how, and for how long.

    The per-replica micro-batch is global_batch_size / (replicas x accumulation_steps);
    it must be a whole number. A set `steps` overrides `epochs` as the budget. `replicas`
    counts every replica of the run; with strategy='multi_worker' they are spread evenly over
    `workers` processes (replicas_per_worker each), every other strategy runs in one process.
    `bn` (none | local | sync) sets the BatchNormalization of the model: local normalizes each
    replica's micro-batch on its own, sync over the micro-batches of all replicas together;
    unset, the model's declaration decides (mlp_bn: local; mlp, cnn: none). `precision` is a Keras
    mixed-precision policy applied to this model's layers only. `noise_scale_batch_sizes`
    (small, big) turns on the gradient-noise-scale probe every `noise_scale_interval` steps.
    `deterministic` turns on TensorFlow op determinism for this configuration. A set
    `memory_limit_mib` stops the configuration with status 'oom' once the memory it has
    allocated through TensorFlow exceeds that many MiB (checked after every optimizer step).
    A set `timed_blocks` makes the budget the warm-up steps plus that many timed blocks of
    steps, each sized to last a few tens of milliseconds, replacing `steps` and `epochs`: the
    budget of a question that asks what a step costs rather than what training reaches.

    `seeds` repeats the configuration with seeds seed, seed + 1, ...; the learning rate is
    `learning_rate` (or the optimizer's default) at `base_batch_size`, scaled by `lr_scaling`
    and reached by a linear warm-up over `warmup_epochs`. `target_accuracy` records when the
    test accuracy first reaches it (checked every epoch and every `target_check_steps` steps),
    and with `stop_at_target` training ends there (MLPerf's time-to-train); `target_on='train'`
    checks the training set's accuracy instead (equal convergence). `validation_fraction` > 0 holds
    that share of the training set out and evaluates on it instead of the test set (tuning).
    `sharpness_samples` > 0 runs the sharpness probe after training.
    Performance fields: hidden_units are the widths of the models' hidden Dense layers;
    steps_per_execution optimizer steps run inside one tf.function call; jit_compile compiles
    each replica's step with XLA; input_cache caches the examples in the tf.data pipeline,
    prefetch_batches is its prefetch depth (0: none) and distribute_input chooses
    experimental_distribute_dataset ('dataset') or distribute_datasets_from_function ('function').
    multi_worker's all-reduce: collective, bytes_per_pack, collective_timeout_s (config/collective.py).
    transformer_layers, _width, _heads and sequence_length size model='transformer' (unset: its
    declared size; they are then all set); other models leave them None (config/models.py).

    Raises:
      ValueError: naming the field, its value and what is allowed, on construction.
    """

    strategy: str = _field("one_device", "how the replicas run", choices=STRATEGIES)
    replicas: int = _field(
        1, "replicas for mirrored: GPUs, else logical CPU devices; for multi_worker: workers x replicas per worker"
    )
    workers: int = _field(
        1, "multi_worker: processes of the cluster; they come from TF_CONFIG or Slurm, and a given value must match"
    )
    global_batch_size: int = _field(128, "examples per optimizer step, over all replicas")
    accumulation_steps: int = _field(1, "micro-batches accumulated per optimizer step")
    epochs: int = _field(5, "passes over the training set")
    steps: int | None = _field(None, "optimizer-step budget; overrides epochs")
    optimizer: str = _field("adam", "the optimizer", choices=OPTIMIZERS)
    learning_rate: float | None = _field(
        None, "the learning rate at base_batch_size (default: Keras's for the optimizer: sgd 0.01, adam 0.001)"
    )
    seed: int = _field(0, "seed for weights, shuffling and dropout")
    model: str = _field("mlp", "the model", choices=models.names)
    dropout: float = _field(0.2, "dropout rate")
    dataset: str = _field(
        "digits",
        f"the data; {datasets.TFDS_ANY} is a set prepared by TensorFlow Datasets",
        choices=(*datasets.DATASETS, datasets.TFDS_ANY),
    )
    data_path: str | None = _field(
        None,
        "mnist/fashion_mnist .npz or folder, or cifar10/cifar100 folder (default: the Keras cache); "
        "for tfds:NAME the TFDS data directory (default: $TFDS_DATA_DIR or ~/tensorflow_datasets)",
    )
    precision: str = _field("float32", "Keras mixed-precision policy of the model's layers", choices=PRECISIONS)
    warmup_steps: int = _field(2, "first steps left out of timing")
    seeds: int = _field(1, "repeat with seeds seed, seed+1, ... and report mean, std and 95% CI")
    lr_scaling: str = _field("none", "scale the learning rate with global batch / base_batch_size", choices=LR_SCALINGS)
    base_batch_size: int = _field(32, "batch size the learning rate is meant for")
    warmup_epochs: float = _field(0.0, "linear warm-up from the base to the scaled learning rate, in epochs")
    target_accuracy: float | None = _field(None, "record the steps, examples and seconds to reach this accuracy")
    target_check_steps: int | None = _field(None, "also check the target every N steps (default: once per epoch)")
    stop_at_target: bool = _field(False, "end training when the target is reached")
    target_on: str = _field(
        "test", "the set whose accuracy meets the target; train compares at equal convergence", choices=TARGET_SETS
    )
    validation_fraction: float = _field(
        0.0, "hold this share of the training set out and evaluate on it instead of the test set"
    )
    sharpness_samples: int = _field(0, "random perturbations of the sharpness probe; 0 = off")
    sharpness_epsilon: float = _field(1e-3, "relative size of the sharpness perturbations")
    bn: str | None = _field(None, "BatchNormalization (default: the model's own; mlp_bn is local)", choices=BATCH_NORMS)
    noise_scale_batch_sizes: tuple[int, int] | None = _field(
        None,
        "measure the gradient noise scale from gradient norms at these two batch sizes, e.g. 16,256",
        metavar="SMALL,BIG",
    )
    noise_scale_interval: int = _field(5, "optimizer steps between noise-scale measurements")
    hidden_units: tuple[int, ...] = _field(DEFAULT_HIDDEN_UNITS, "hidden Dense widths, e.g. 512,512", metavar="W,...")
    transformer_layers: int | None = _field(None, "model transformer: encoder blocks (default: its declared size)")
    transformer_width: int | None = _field(None, "model transformer: features per token (default: its declared size)")
    transformer_heads: int | None = _field(None, "model transformer: attention heads (default: its declared size)")
    sequence_length: int | None = _field(None, "model transformer: token ids per example (default: its declared size)")
    steps_per_execution: int = _field(1, "optimizer steps per tf.function call")
    jit_compile: bool = _field(False, "compile each replica's step with XLA")
    input_cache: bool = _field(False, "cache the examples in the tf.data pipeline")
    prefetch_batches: int = _field(2, "tf.data prefetch depth, 0 for none")
    distribute_input: str = _field(
        "dataset",
        "experimental_distribute_dataset (dataset) or distribute_datasets_from_function (function)",
        choices=DISTRIBUTE_INPUTS,
    )
    deterministic: bool = _field(False, "TensorFlow op determinism: reruns give bit-identical losses")
    memory_limit_mib: int | None = _field(
        None, "stop with status oom once the run allocates more than this through TensorFlow"
    )
    timed_blocks: int | None = _field(
        None, "the budget is the warm-up plus this many timed blocks of steps, replacing steps and epochs"
    )
    collective: str = _field(
        "auto", "multi_worker all-reduce; nccl needs a GPU per replica", choices=collective.COLLECTIVES
    )
    bytes_per_pack: int = _field(
        0, "multi_worker: all-reduce the gradients in packs of about this many bytes; 0 = one pack"
    )
    collective_timeout_s: float | None = _field(
        None, "multi_worker: seconds after which an unfinished all-reduce fails instead of waiting (default: none)"
    )

    def __post_init__(self) -> None:
        check_choice("strategy", self.strategy, STRATEGIES)
        check_int("replicas", self.replicas, 1)
        if self.strategy == "one_device" and self.replicas != 1:
            fail("replicas", self.replicas, "strategy='one_device' runs exactly 1 replica; use strategy='mirrored'")
        self._check_workers()
        check_int("global_batch_size", self.global_batch_size, 1)
        check_int("accumulation_steps", self.accumulation_steps, 1)
        self._check_micro_batch()
        check_int("epochs", self.epochs, 1)
        if self.steps is not None:
            check_int("steps", self.steps, 1)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        if self.learning_rate is not None:
            lr = self.learning_rate
            if isinstance(lr, bool) or not isinstance(lr, int | float) or not math.isfinite(lr) or lr <= 0:
                fail("learning_rate", lr, "a finite number > 0, or None for the optimizer's default")
        check_int("seed", self.seed, 0)
        check_choice("model", self.model, models.names())
        d = self.dropout
        if isinstance(d, bool) or not isinstance(d, int | float) or not 0 <= d < 1:
            fail("dropout", d, "a rate in [0, 1)")
        datasets.check_dataset(self.dataset, self.data_path)
        check_choice("precision", self.precision, PRECISIONS)
        check_int("warmup_steps", self.warmup_steps, 0)
        check_int("seeds", self.seeds, 1)
        self._check_learning_rate_schedule()
        self._check_target()
        check_int("sharpness_samples", self.sharpness_samples, 0)
        check_fraction("sharpness_epsilon", self.sharpness_epsilon, "a number in (0, 1)", upper_open=True)
        self._check_bn()
        self._check_noise_scale()
        self._check_performance_fields()
        checks.check_transformer_size(self)
        self._check_model_inputs()
        check_bool("deterministic", self.deterministic)
        if self.memory_limit_mib is not None:
            check_int("memory_limit_mib", self.memory_limit_mib, 1)
        if self.timed_blocks is not None:
            check_int("timed_blocks", self.timed_blocks, 1)
        collective.check_fields(self)

    def _check_learning_rate_schedule(self) -> None:
        check_choice("lr_scaling", self.lr_scaling, LR_SCALINGS)
        check_int("base_batch_size", self.base_batch_size, 1)
        w = self.warmup_epochs
        if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w < 0:
            fail("warmup_epochs", w, "a number of epochs >= 0")
        if w > 0 and self.lr_scaling == "none":
            fail(
                "warmup_epochs",
                w,
                "warm-up ramps from the base learning rate to the scaled one; it needs lr_scaling='linear' or 'sqrt'",
            )

    def _check_target(self) -> None:
        if self.target_accuracy is not None:
            check_fraction("target_accuracy", self.target_accuracy, "a test accuracy in (0, 1], or None")
            if self.dataset == "synthetic":  # random labels: accuracy is chance, and is not measured
                fail("target_accuracy", self.target_accuracy, "None on dataset='synthetic'")
        if self.target_check_steps is not None:
            check_int("target_check_steps", self.target_check_steps, 1)
            if self.target_accuracy is None:
                fail("target_check_steps", self.target_check_steps, "only with a target_accuracy")
        if not isinstance(self.stop_at_target, bool):
            fail("stop_at_target", self.stop_at_target, "True or False")
        if self.stop_at_target and self.target_accuracy is None:
            fail("stop_at_target", self.stop_at_target, "only with a target_accuracy")
        check_choice("target_on", self.target_on, TARGET_SETS)
        if self.target_on != "test" and self.target_accuracy is None:
            fail("target_on", self.target_on, "only with a target_accuracy")
        v = self.validation_fraction
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 0.5:
            fail("validation_fraction", v, "a share of the training set in [0, 0.5]; 0 evaluates on the test set")

    def _check_bn(self) -> None:
        if self.bn is None:
            return
        check_choice("bn", self.bn, BATCH_NORMS)
        model = models.declared(self.model)
        if self.bn not in model.batch_norms:
            fail("bn", self.bn, model.batch_norm_error())
        if self.bn == "sync" and self.accumulation_steps > 1:
            fail(
                "bn",
                self.bn,
                "sync BN all-reduces inside each micro-batch, which tf.distribute cannot do inside the "
                "accumulation loop; use accumulation_steps=1 or bn='local'",
            )

    def _check_model_inputs(self) -> None:
        """The dataset gives what the model takes, and the spec sets no field the model ignores."""
        model = models.declared(self.model)
        kinds = datasets.kinds(self.dataset)
        if model.input_kind not in kinds:
            suitable = [name for name, given in datasets.DATASET_INPUT_KINDS.items() if model.input_kind in given]
            fail(
                "dataset",
                self.dataset,
                f"it gives {' or '.join(kinds)} and model={self.model!r} takes {model.input_kind}; "
                f"datasets of {model.input_kind}: {', '.join(suitable) or 'none yet'}",
            )
        if self.dataset in datasets.IMAGE_SHAPES:
            check_image_shape(self, datasets.IMAGE_SHAPES[self.dataset])
        for field in models.TUNABLE_FIELDS:
            default = next(f.default for f in dataclasses.fields(self) if f.name == field)
            if field not in model.tunes and getattr(self, field) != default:
                fail(field, getattr(self, field), f"model={self.model!r} does not use it; leave it at {default!r}")

    def _check_noise_scale(self) -> None:
        sizes = self.noise_scale_batch_sizes
        if sizes is None:
            return
        if isinstance(sizes, list):  # a spec read back from JSON
            sizes = tuple(sizes)
            object.__setattr__(self, "noise_scale_batch_sizes", sizes)
        check_batch_pair("noise_scale_batch_sizes", sizes)
        check_int("noise_scale_interval", self.noise_scale_interval, 1)

    def _check_workers(self) -> None:
        check_int("workers", self.workers, 1)
        if self.strategy != "multi_worker" and self.workers != 1:
            fail("workers", self.workers, f"strategy={self.strategy!r} runs in 1 process; use strategy='multi_worker'")
        if self.replicas % self.workers:
            fail(
                "replicas",
                self.replicas,
                f"every one of the {self.workers} workers runs the same number of replicas, "
                f"so replicas must be a multiple of {self.workers}",
            )

    def _check_performance_fields(self) -> None:
        units = self.hidden_units
        if isinstance(units, list):  # from JSON
            object.__setattr__(self, "hidden_units", units := tuple(units))
        if (
            not isinstance(units, tuple)
            or not units
            or any(isinstance(u, bool) or not isinstance(u, int) or u < 1 for u in units)
        ):
            fail("hidden_units", units, "a non-empty tuple of whole numbers >= 1, e.g. (512, 512)")
        check_int("steps_per_execution", self.steps_per_execution, 1)
        for name in ("jit_compile", "input_cache"):
            if not isinstance(getattr(self, name), bool):
                fail(name, getattr(self, name), "True or False")
        check_int("prefetch_batches", self.prefetch_batches, 0)
        check_choice("distribute_input", self.distribute_input, DISTRIBUTE_INPUTS)

    def _check_micro_batch(self) -> None:
        shards = self.replicas * self.accumulation_steps
        if self.global_batch_size % shards:
            fail(
                "global_batch_size",
                self.global_batch_size,
                f"it must split evenly into replicas x accumulation_steps = {self.replicas} x "
                f"{self.accumulation_steps} = {shards} micro-batches "
                f"({self.global_batch_size} / {shards} = {self.global_batch_size / shards:g})",
            )

    @property
    def micro_batch_size(self) -> int:
        """Examples in one forward/backward pass on one replica."""
        return self.global_batch_size // (self.replicas * self.accumulation_steps)

    @property
    def replicas_per_worker(self) -> int:
        return self.replicas // self.workers

    @property
    def per_replica_batch_size(self) -> int:
        """Examples one replica sees per optimizer step (all its micro-batches)."""
        return self.global_batch_size // self.replicas

    @property
    def batch_norm(self) -> str:
        """none, local or sync: `bn` if set, else what the model name implies (mlp_bn: local)."""
        return self.bn if self.bn is not None else models.declared(self.model).batch_norm

    @property
    def effective_learning_rate(self) -> float:
        """The learning rate as given (or the optimizer's default): the rate at base_batch_size."""
        if self.learning_rate is None:
            return DEFAULT_LEARNING_RATES[self.optimizer]
        return float(self.learning_rate)

    @property
    def lr_scale_factor(self) -> float:
        """How much lr_scaling multiplies the learning rate at this global batch size.

        none: 1; linear: B / B0 (Goyal et al. 2017); sqrt: sqrt(B / B0); B0 = base_batch_size.
        """
        ratio = self.global_batch_size / self.base_batch_size
        return {"none": 1.0, "linear": ratio, "sqrt": math.sqrt(ratio)}[self.lr_scaling]

    @property
    def scaled_learning_rate(self) -> float:
        """The learning rate after scaling: what the optimizer uses once warm-up is over."""
        return self.effective_learning_rate * self.lr_scale_factor

    @property
    def seed_list(self) -> list[int]:
        """The seeds a run with `seeds` repetitions uses: seed, seed + 1, ..."""
        return list(range(self.seed, self.seed + self.seeds))

    @property
    def id(self) -> str:
        """A stable, readable id, e.g. 'mirrored2-bs256-acc4-mlp-adam' or 'multi_worker2x1-bs256-acc4-mlp-adam'.

        multi_worker ids always carry the cluster shape, workers x replicas_per_worker. A BN mode
        other than the model's own adds e.g. '-bnsync', a precision other than float32 e.g.
        '-mixed_bfloat16'; ids of specs without them read as they always did.
        Performance fields and a transformer size add a suffix only when they differ from their defaults,
        so older ids stay the same: e.g. '...-mlp-adam-h512x512-spe8-xla', '...-transformer-adam-layers4'.
        """
        if self.strategy == "multi_worker":
            strategy = f"{self.strategy}{self.workers}x{self.replicas_per_worker}"
        elif self.replicas == 1:
            strategy = self.strategy
        else:
            strategy = f"{self.strategy}{self.replicas}"
        name = f"{strategy}-bs{self.global_batch_size}-acc{self.accumulation_steps}-{self.model}-{self.optimizer}"
        # Fields that change training join the id only when set, so older ids stay valid.
        if self.lr_scaling != "none":
            name += f"-lr{self.lr_scaling}{self.base_batch_size}"
        if self.warmup_epochs:
            name += f"-wu{self.warmup_epochs:g}"
        if self.batch_norm != models.declared(self.model).batch_norm:
            name += f"-bn{self.batch_norm}"
        if self.precision != "float32":
            name += f"-{self.precision}"
        if self.target_on != "test":
            name += f"-to{self.target_on}"
        if self.validation_fraction:
            name += f"-val{self.validation_fraction:g}"
        return "-".join([name, *models.size_suffixes(self), *self._performance_suffixes()])

    def _performance_suffixes(self) -> list[str]:
        suffixes = []
        if self.hidden_units != DEFAULT_HIDDEN_UNITS:
            suffixes.append("h" + "x".join(str(u) for u in self.hidden_units))
        if self.steps_per_execution != 1:
            suffixes.append(f"spe{self.steps_per_execution}")
        if self.jit_compile:
            suffixes.append("xla")
        if self.input_cache:
            suffixes.append("cache")
        if self.prefetch_batches != 2:
            suffixes.append(f"pf{self.prefetch_batches}")
        if self.distribute_input != "dataset":
            suffixes.append("dsfn")
        return suffixes + collective.id_suffixes(self)

    def single_replica(self) -> RunSpec:
        """The same configuration on one device: the baseline of its scaling efficiency."""
        return self.replace(strategy="one_device", replicas=1, workers=1, **collective.DEFAULTS)

    def replace(self, **changes: object) -> RunSpec:
        """A copy with some fields changed, validated again."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, object]:
        out = dataclasses.asdict(self)
        out["hidden_units"] = list(self.hidden_units)  # JSON has no tuples
        return out

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> RunSpec:
        """Raises:
        ValueError: for an unknown field, or any invalid value.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            fail(unknown[0], data[unknown[0]], "not a RunSpec field; known: " + ", ".join(sorted(known)))
        return cls(**data)
