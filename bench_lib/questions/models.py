"""The models question: the hardware table of the standard model families on synthetic data at their own shapes."""

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bench_lib.analysis import findings as sentences
from bench_lib.analysis import glance
from bench_lib.analysis.family import Family
from bench_lib.analysis.vocabulary import spec_of
from bench_lib.config import models as model_registry
from bench_lib.config import option_text
from bench_lib.questions.registry import ExtraTable, Page, Question, SizeOption
from bench_lib.record import metrics
from bench_lib.record.metrics import ResultKey


@dataclass(frozen=True, kw_only=True)
class ModelFamily:
    """How one model is measured: its global batch sizes, timed and warm-up steps, on which strategies, in
    which precisions (a mixed precision runs where the device has a fast path for it and is skipped with
    the reason elsewhere)."""

    model: str
    batch_sizes: tuple[int, ...]
    steps: int  # timed optimizer steps of every configuration
    warmup_steps: int
    strategies: tuple[str, ...] | None = None  # None: the profile's
    precisions: tuple[str, ...] = ("float32",)


@dataclass(frozen=True, kw_only=True)
class Sizes:
    models: tuple[str, ...]  # the families measured, in table order (--bench-models)
    families: tuple[ModelFamily, ...]  # how each is measured; a model without a row gets FALLBACK's sizes
    # (layers, width, heads, sequence length) of a model that takes a size (`transformer`); None: its own.
    transformer_size: tuple[int, ...] | None = None
    # The largest global batch within this many MiB of TensorFlow memory is searched once per family,
    # on one_device, up to SEARCH_CEILING times its largest batch size; None: not searched.
    limit_mib: int | None = None
    # The update of every family: SGD with momentum 0.9, the optimizer of tf_cnn_benchmarks' and
    # MLPerf's ResNet-50 runs, which Keras also traces faster than Adam (docs/questions/models.md).
    optimizer: str = "momentum"

    def family(self, model: str) -> ModelFamily:
        return next((f for f in self.families if f.model == model), ModelFamily(model=model, **FALLBACK))

    def model_fields(self, model: str) -> dict[str, object]:
        """The spec fields that choose the model: its name, and transformer_size where it takes a size.

        Raises:
          ValueError: transformer_size is not four numbers.
        """
        if self.transformer_size is None or not model_registry.declared(model).takes_size:
            return {"model": model}
        if len(self.transformer_size) != len(model_registry.SIZE_FIELDS):
            raise ValueError(
                f"transformer_size={self.transformer_size!r} is not allowed: four whole numbers, "
                "layers, width, heads, sequence length"
            )
        return {"model": model, **dict(zip(model_registry.SIZE_FIELDS, self.transformer_size, strict=True))}


def check(sizes: Sizes, spec: Callable[..., object]) -> None:
    """Each family as a spec, and a transformer size only where a family takes one.

    Raises:
      ValueError: a family or the size is not allowed.
    """
    for model in sizes.models:
        spec(**sizes.model_fields(model), dataset="synthetic")
    if sizes.transformer_size is not None and not any(model_registry.declared(m).takes_size for m in sizes.models):
        raise ValueError(
            f"transformer_size={sizes.transformer_size!r} is not allowed: only with a family that takes a size "
            "in --bench-models, e.g. transformer"
        )


SEARCH_CEILING = 8  # the search's last doubling: 8 x the family's largest batch size
FALLBACK = {"batch_sizes": (32,), "steps": 10, "warmup_steps": 2}
# float32 and the mixed precisions with a fast path somewhere: bfloat16 on AMX/AVX512_BF16 CPUs and Ampere
# GPUs, float16 on GPUs' tensor cores. The quick profile leaves them out: its budget holds float32 only.
EVERY_PRECISION = ("float32", "mixed_bfloat16", "mixed_float16")
QUICK_FAMILIES = (
    ModelFamily(model="resnet20", batch_sizes=(64,), steps=6, warmup_steps=2, strategies=("one_device",)),
    ModelFamily(model="transformer_small", batch_sizes=(32,), steps=8, warmup_steps=2, strategies=("one_device",)),
    # One small batch for a few steps, so that the quick profile stays within its time on 2 cores.
    ModelFamily(model="resnet50", batch_sizes=(4,), steps=2, warmup_steps=1, strategies=("one_device",)),
)
QUICK_MODELS = ("resnet20", "transformer_small", "resnet50")
# The nightly profile's: the quick families with four times the timed steps. Each of its processes pays its
# start-up and trace before it times anything, and the median of a handful of steps would add its own
# spread to the between-process spread its verdicts are judged by (docs/running/nightly.md).
NIGHTLY_FAMILIES = tuple(dataclasses.replace(f, steps=4 * f.steps) for f in QUICK_FAMILIES)
# Batch sizes near those the models' papers and tf_cnn_benchmarks used, within a 2-core CPU's reach.
FULL_FAMILIES = (
    ModelFamily(model="resnet20", batch_sizes=(128, 512), steps=30, warmup_steps=3, precisions=EVERY_PRECISION),
    ModelFamily(model="resnet56", batch_sizes=(128,), steps=20, warmup_steps=3, precisions=EVERY_PRECISION),
    ModelFamily(model="resnet50", batch_sizes=(32, 64), steps=10, warmup_steps=2, precisions=EVERY_PRECISION),
    ModelFamily(model="mobilenet_v2", batch_sizes=(32, 64), steps=10, warmup_steps=2, precisions=EVERY_PRECISION),
    ModelFamily(model="transformer_small", batch_sizes=(64, 256), steps=30, warmup_steps=3, precisions=EVERY_PRECISION),
    ModelFamily(model="bert_base", batch_sizes=(8, 32), steps=10, warmup_steps=2, precisions=EVERY_PRECISION),
)


def _step_median(step_time_ms: object) -> str:
    return (
        format(step_time_ms["median"], metrics.metric("step_time_ms").fmt) if isinstance(step_time_ms, Mapping) else "-"
    )


def hardware_row(result: Mapping[str, object]) -> str:
    """e.g. 'resnet50 at batch 4 on one_device: 2.0 examples/s, MFU 0.62'; a mixed precision is named, with the
    peak its MFU is against ('... in mixed_bfloat16: ..., MFU 0.13 of the bfloat16 peak')."""
    spec = spec_of(result)
    precision = spec.get("precision", "float32")
    mixed = precision != "float32"
    return (
        f"{spec['model']} at batch {spec['global_batch_size']} on {spec['strategy']}"
        f"{f' in {precision}' if mixed else ''}: {result['examples_per_sec']:,.1f} examples/s, MFU {result['mfu']:.2f}"
        + (f" of the {result.get('peak_precision') or 'float32'} peak" if mixed else "")
    )


def findings(results: list[Mapping[str, object]], metric: str, *, family: Family | None = None) -> list[str]:
    """Every configuration's examples/s and MFU, highest MFU first; then the generic sentence where a family has two."""
    measured = [r for r in results if r.get("mfu") is not None and r.get("examples_per_sec") is not None]
    rows = [hardware_row(r) for r in sorted(measured, key=lambda r: -float(r["mfu"]))]
    said = [f"models (steady steps, synthetic data), by MFU: {'; '.join(rows)}."] if rows else []
    pairs = sentences.generic("models", results, metric, family=family)
    return said + ([] if "no two configurations" in pairs or "one configuration only" in pairs else [pairs])


# A row per configuration; the largest batch is searched on one configuration per family ('-' elsewhere,
# and everywhere in the quick profile, which does not search).
HARDWARE_TABLE = ExtraTable(
    title="hardware table (largest batch: searched once per family where the profile sets a memory limit, as the "
    "full profile does; - not searched)",
    columns=(
        ("configuration", "id", "s"),
        metrics.column("examples_per_sec"),
        (metrics.heading("step_time_ms"), "step_time_ms", _step_median),
        metrics.column("mfu"),
        ("MFU against the peak of", "peak_precision", "s"),
        metrics.column("tf_peak_mib"),
        metrics.column("time_to_first_step_s"),
        metrics.column("loss_scale_skipped_steps"),
        ("largest batch within the limit", "largest_batch_size", ",d"),
        ("its limit, MiB", "largest_batch_limit_mib", ",d"),
    ),
    row_key="mfu",
)

QUESTION = Question(
    name="models",
    title="Standard models: the hardware table",
    order=105,
    quick=Sizes(models=QUICK_MODELS, families=QUICK_FAMILIES),
    nightly=Sizes(models=QUICK_MODELS, families=NIGHTLY_FAMILIES),
    full=Sizes(models=tuple(f.model for f in FULL_FAMILIES), families=FULL_FAMILIES, limit_mib=4096),
    follows=(("--bench-memory-limit-mib", "limit_mib"),),
    options=(
        SizeOption(
            name="--bench-models",
            help="model families of the models question (the hardware table), e.g. resnet20,resnet50,bert_base",
            field="models",
            parse=option_text.names,
        ),
        SizeOption(
            name="--bench-transformer-size",
            help="layers,width,heads,sequence length of the models question's `transformer` family, e.g. 4,256,4,128",
            field="transformer_size",
            parse=option_text.whole_numbers,
        ),
    ),
    check=check,
    table=HARDWARE_TABLE,
    model_summary=True,
    machine_tables=True,
    metric="examples_per_sec",
    findings=findings,
    glance=glance.mfu_span,
    result_keys=(
        ResultKey(
            "largest_batch_size, largest_batch_limit_mib, largest_batch_trials",
            "The models question, where the profile gives a memory limit: the largest global batch whose step "
            "stayed within `largest_batch_limit_mib` of TensorFlow memory (null: not even the family's smallest), "
            "and the search's trials; on one configuration per family.",
        ),
    ),
    page=Page(
        path="models.md",
        nav="Standard models",
        asks="How fast do standard model families train on this hardware?",
        quick_grid="`resnet20` at 64, `transformer_small` at 32, `resnet50` at 4 on synthetic data, SGD with momentum",
    ),
)
