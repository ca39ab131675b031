"""Declares every model the benchmarks can train: its name, input kind, builder and spec fields.

This is the one place a model is declared. A declaration is plain data, importable without
TensorFlow, because RunSpec validates model names (and what each model accepts) on machines and
in processes that never import TensorFlow. The builder is named by a dotted path,
'package.module:function', that bench_lib.engine.model imports only when the model is built; so a
new model is two files: its builder module (bench_lib/engine/models/<name>.py) and its entry in
BUILT_IN below. Listing a package of builder modules instead would have to import each of them —
and with them TensorFlow — just to learn the model names.

A model's FLOPs are counted layer by layer from the rules in bench_lib.probes.flops (see there):
a model built from layers that have a rule needs nothing more, and a model with a layer of its
own adds that layer's rule beside the layer, in its builder module.

MODELS is a bench_lib.config.registry.Registry, as questions and metrics are: built-in models are
listed in BUILT_IN and cannot be removed; register() adds a model that lives outside this package
(a user's experiment), and `MODELS.added(...)` one for the length of a test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bench_lib.config.refusal import fail
from bench_lib.config.registry import Registry

# What a model takes: images (float32, NHWC) or token ids (int32, one sequence per example).
INPUT_KINDS = ("images", "tokens")
BATCH_NORMS = ("none", "local", "sync")
# Token ids are below this (BERT's WordPiece vocabulary size): every token dataset keeps to it
# and every token model embeds this many ids.
VOCABULARY_SIZE = 30522
# The RunSpec fields that size a transformer; None leaves the model's declared size.
SIZE_FIELDS = ("transformer_layers", "transformer_width", "transformer_heads", "sequence_length")
# Optional RunSpec fields a model may read; a spec that sets one the model ignores is rejected.
TUNABLE_FIELDS = ("hidden_units", "dropout", *SIZE_FIELDS)
_BUILDER_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, kw_only=True)
class TransformerSize:
    """An encoder's size: blocks, features per token, attention heads, tokens per example.

    Raises:
      ValueError: naming the RunSpec field, its value and what is allowed, on construction.
    """

    layers: int
    width: int
    heads: int
    sequence_length: int

    def __post_init__(self) -> None:
        for field, value in zip(SIZE_FIELDS, self.as_fields().values(), strict=True):
            if not _positive(value):
                fail(field, value, "a whole number >= 1")
        if self.width % self.heads:
            fail("transformer_width", self.width, f"a multiple of transformer_heads={self.heads}")

    def as_fields(self) -> dict[str, int]:
        """The size as RunSpec fields, e.g. {'transformer_layers': 2, ...}."""
        return dict(zip(SIZE_FIELDS, (self.layers, self.width, self.heads, self.sequence_length), strict=True))

    def describe(self) -> str:
        """e.g. '2 layers, width 128, 2 heads, sequence 64'."""
        return f"{self.layers} layers, width {self.width}, {self.heads} heads, sequence {self.sequence_length}"


@dataclass(frozen=True, kw_only=True)
class ModelDeclaration:
    """One model: what a RunSpec needs to know about it, and where its builder is.

    builder: 'package.module:function'; the function takes (spec, input_shape, num_classes) and
      returns a built keras.Model whose outputs are float32 softmax probabilities.
    input_kind: 'images' or 'tokens'; a spec's dataset must give this kind.
    batch_norm: the BatchNormalization the name implies when a spec leaves `bn` unset.
    batch_norms: the `bn` values the model accepts; batch_norm_advice is the error's advice when
      a spec asks for another (default: the list of accepted values).
    tunes: the optional spec fields the builder reads (of TUNABLE_FIELDS).
    input_shape: the shape of one example the model is made for (e.g. 224x224x3, or (128,) token
      ids); synthetic data is generated at this shape. None: the dataset's own (28x28x1 synthetic).
    transformer: an encoder's declared size; its input_shape is (sequence_length,). A model that
      tunes SIZE_FIELDS takes a spec's size instead, the unset fields from this one.
    min_image_side: the smallest height and width of the images it can take (None: any).

    Raises:
      ValueError: naming the field, its value and what is allowed, on construction.
    """

    name: str
    builder: str
    input_kind: str = "images"
    batch_norm: str = "none"
    batch_norms: tuple[str, ...] = BATCH_NORMS
    batch_norm_advice: str = ""
    tunes: tuple[str, ...] = ("hidden_units", "dropout")
    input_shape: tuple[int, ...] | None = None
    transformer: TransformerSize | None = None
    min_image_side: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            fail("name", self.name, "lower-case letters, digits and '_', starting with a letter")
        if not isinstance(self.builder, str) or not _BUILDER_PATH.match(self.builder):
            fail("builder", self.builder, "a dotted path 'package.module:function'")
        if self.input_kind not in INPUT_KINDS:
            fail("input_kind", self.input_kind, "choose one of " + ", ".join(INPUT_KINDS))
        if not self.batch_norms or not set(self.batch_norms) <= set(BATCH_NORMS):
            fail("batch_norms", self.batch_norms, "a non-empty tuple of " + ", ".join(BATCH_NORMS))
        if self.batch_norm not in self.batch_norms:
            fail("batch_norm", self.batch_norm, "one of its batch_norms " + ", ".join(self.batch_norms))
        if not set(self.tunes) <= set(TUNABLE_FIELDS):
            fail("tunes", self.tunes, "a tuple of " + ", ".join(TUNABLE_FIELDS))
        if self.transformer is not None:
            object.__setattr__(self, "input_shape", (self.transformer.sequence_length,))
        tuned = set(SIZE_FIELDS) & set(self.tunes)
        if tuned and (self.transformer is None or tuned != set(SIZE_FIELDS)):
            fail("tunes", self.tunes, "all of " + ", ".join(SIZE_FIELDS) + " or none, and only with a transformer size")
        shape = self.input_shape
        if shape is not None and (not isinstance(shape, tuple) or not shape or not all(_positive(d) for d in shape)):
            fail("input_shape", shape, "None or a non-empty tuple of whole numbers >= 1")

    @property
    def takes_size(self) -> bool:
        """Whether a spec chooses this transformer's size (SIZE_FIELDS) instead of its declared one."""
        return set(SIZE_FIELDS) <= set(self.tunes)

    def batch_norm_error(self) -> str:
        """What a spec is told when it asks for a `bn` this model does not accept."""
        return self.batch_norm_advice or f"model={self.name!r} accepts bn= " + ", ".join(self.batch_norms)


def _positive(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


BUILT_IN = (
    # Flatten, Dense(hidden_units), Dropout, softmax.
    ModelDeclaration(name="mlp", builder="bench_lib.engine.models.mlp:build"),
    # The same network with BatchNormalization before and after each hidden Dense.
    ModelDeclaration(
        name="mlp_bn",
        builder="bench_lib.engine.models.mlp:build",
        batch_norm="local",
        batch_norms=("local", "sync"),
        batch_norm_advice="model='mlp_bn' has BatchNormalization by name; use model='mlp' for none",
    ),
    # Two 3x3 convolutions with max-pooling, then the mlp's hidden Dense layers.
    ModelDeclaration(name="cnn", builder="bench_lib.engine.models.cnn:build"),
    # CIFAR-style ResNet v1 with BN (He et al. 2016, section 4.2); bn='none' leaves BN out.
    *(
        ModelDeclaration(
            name=name,
            builder=f"bench_lib.engine.models.resnet_cifar:build_{name}",
            batch_norm="local",
            tunes=(),
            input_shape=(32, 32, 3),
        )
        for name in ("resnet20", "resnet56")
    ),
    # ImageNet-shaped networks from keras.applications, untrained; BN is part of them.
    *(
        ModelDeclaration(
            name=name,
            builder=f"bench_lib.engine.models.applications:build_{name}",
            batch_norm="local",
            batch_norms=("local", "sync"),
            tunes=(),
            input_shape=(224, 224, 3),
            min_image_side=32,  # keras.applications refuses smaller images
        )
        for name in ("resnet50", "mobilenet_v2")
    ),
    # BERT-style encoder classifiers over token ids; dropout at spec.dropout throughout. The two
    # presets are fixed at their sizes; `transformer` takes any size, transformer_small's by default.
    *(
        ModelDeclaration(
            name=name,
            builder="bench_lib.engine.models.transformer:build",
            input_kind="tokens",
            batch_norms=("none",),
            tunes=tunes,
            transformer=size,
        )
        for name, size, tunes in (
            ("transformer_small", TransformerSize(layers=2, width=128, heads=2, sequence_length=64), ("dropout",)),
            ("bert_base", TransformerSize(layers=12, width=768, heads=12, sequence_length=128), ("dropout",)),
            (
                "transformer",
                TransformerSize(layers=2, width=128, heads=2, sequence_length=64),
                ("dropout", *SIZE_FIELDS),
            ),
        )
    ),
)
MODELS: Registry[ModelDeclaration] = Registry("model", built_in=BUILT_IN)


def transformer_size(spec: object) -> TransformerSize | None:
    """The encoder size a spec trains: its SIZE_FIELDS where its model tunes them, else the declared one.

    None for a model that is not a transformer. `spec` is a RunSpec (not imported: it imports this).
    """
    model = declared(spec.model)
    if not model.takes_size:
        return model.transformer
    given = {field: getattr(spec, field) for field in SIZE_FIELDS if getattr(spec, field) is not None}
    return TransformerSize(**{**_size_arguments(model.transformer.as_fields()), **_size_arguments(given)})


def _size_arguments(fields: dict[str, int]) -> dict[str, int]:
    """SIZE_FIELDS values as TransformerSize's arguments: 'transformer_layers' -> 'layers'."""
    return {field.removeprefix("transformer_"): value for field, value in fields.items()}


def example_shape(spec: object) -> tuple[int, ...] | None:
    """The shape of one example the spec's model takes (its sequence length for a transformer), or None."""
    size = transformer_size(spec)
    return (size.sequence_length,) if size is not None else declared(spec.model).input_shape


_ID_PARTS = dict(zip(SIZE_FIELDS, ("layers", "width", "heads", "seq"), strict=True))


def size_suffixes(spec: object) -> list[str]:
    """What a spec id adds for a transformer size other than its model's declared one, e.g. ['layers4', 'seq128']."""
    size = transformer_size(spec)
    if size is None:
        return []
    own = declared(spec.model).transformer.as_fields()
    return [f"{_ID_PARTS[field]}{value}" for field, value in size.as_fields().items() if value != own[field]]


def names() -> tuple[str, ...]:
    """Every registered model name, built-in ones first, in the order they were declared."""
    return MODELS.keys()


def declared(name: str) -> ModelDeclaration:
    """The declaration of a registered model.

    Raises:
      ValueError: naming the model and the registered ones, when there is none of that name.
    """
    return MODELS.get(name)


def register(model: ModelDeclaration) -> ModelDeclaration:
    """Adds a model declared outside this module; RunSpec accepts its name from then on.

    Raises:
      ValueError: a model of that name is already registered.
    """
    return MODELS.register(model)


def unregister(name: str) -> None:
    """Removes a model added by register(); built-in models stay.

    Raises:
      ValueError: the name is a built-in model or not registered.
    """
    MODELS.unregister(name)
