"""Builds the transformers: BERT-style encoder classifiers over token ids, of the size a spec trains.

transformer_small, bert_base and transformer are all build(), at the size bench_lib.config.models
declares for each (for `transformer`, the spec's). Token and learned position embeddings, then
`layers` post-norm encoder blocks (self-attention of `heads` heads with a residual and
LayerNormalization; a GELU feed-forward network 4 x width wide with a residual and
LayerNormalization), mean pooling over the sequence and a softmax Dense layer.
Dropout at spec.dropout follows the embeddings and each block's sub-layers, as in BERT; the
attention weights themselves are not dropped (BERT drops them too), which keeps the traced step
free of a second attention product that TensorFlow's cost analysis would count. The sequence
length is the data's (input_shape = (sequence_length,)); token ids are below
models.VOCABULARY_SIZE, BERT's WordPiece vocabulary size, which every token dataset keeps to.

The attention's two matrix products (queries x keys, weights x values) are the only work outside
Dense layers, so SelfAttention carries its own FLOPs rule, registered beside it.
"""

from __future__ import annotations

import keras

from bench_lib.config import models
from bench_lib.config.spec import RunSpec
from bench_lib.engine.models import layer_groups
from bench_lib.probes import flops


def build(spec: RunSpec, input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    """An encoder classifier of the spec's size (models.transformer_size): layers, width and heads.

    Raises:
      ValueError: input_shape is not (sequence_length,).
    """
    size = models.transformer_size(spec)
    layers, width, heads = size.layers, size.width, size.heads
    if len(input_shape) != 1:
        raise ValueError(f"input_shape={input_shape!r} is not allowed: token ids come as (sequence_length,)")
    policy = layer_groups.policy(spec)
    tokens = keras.Input(shape=input_shape, dtype="int32")
    x = keras.layers.Embedding(models.VOCABULARY_SIZE, width, dtype=policy)(tokens)
    x = PositionEmbedding(dtype=policy)(x)
    x = keras.layers.Dropout(spec.dropout, dtype=policy)(keras.layers.LayerNormalization(dtype=policy)(x))
    for _ in range(layers):
        x = _encoder_block(spec, x, width=width, heads=heads)
    x = keras.layers.GlobalAveragePooling1D(dtype=policy)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32")(x)
    return keras.Model(tokens, outputs, name=spec.model)


def _encoder_block(spec: RunSpec, x: keras.KerasTensor, *, width: int, heads: int) -> keras.KerasTensor:
    policy = layer_groups.policy(spec)
    attended = SelfAttention(heads=heads, dtype=policy)(x)
    attended = keras.layers.Dropout(spec.dropout, dtype=policy)(attended)
    x = keras.layers.LayerNormalization(dtype=policy)(keras.layers.Add(dtype=policy)([x, attended]))
    hidden = keras.layers.Dense(4 * width, activation="gelu", dtype=policy)(x)
    hidden = keras.layers.Dropout(spec.dropout, dtype=policy)(keras.layers.Dense(width, dtype=policy)(hidden))
    return keras.layers.LayerNormalization(dtype=policy)(keras.layers.Add(dtype=policy)([x, hidden]))


class PositionEmbedding(keras.layers.Layer):
    """Adds a learned vector per sequence position to its input (batch, sequence, width)."""

    def build(self, input_shape: tuple[int, ...]) -> None:
        self.positions = self.add_weight(shape=tuple(input_shape[1:]), initializer="glorot_uniform", name="positions")

    def call(self, x):
        return x + keras.ops.cast(self.positions, x.dtype)


class SelfAttention(keras.layers.Layer):
    """Multi-head self-attention over a sequence: keras.layers.MultiHeadAttention with query = key = value."""

    def __init__(self, *, heads: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.heads = heads
        self.attention = None

    def build(self, input_shape: tuple[int, ...]) -> None:
        width = input_shape[-1]
        self.attention = keras.layers.MultiHeadAttention(self.heads, width // self.heads, dtype=self.dtype_policy)
        self.attention.build(input_shape, input_shape)

    def call(self, x, training=None):
        return self.attention(x, x, training=training)

    def get_config(self) -> dict:
        return {**super().get_config(), "heads": self.heads}


def _self_attention_multiply_adds(layer: SelfAttention) -> int:
    """Four projections (sequence x kernel size each) and the two attention products.

    queries x keys: heads x sequence x sequence x key_dim; weights x values: the same with value_dim.
    """
    attention = layer.attention
    sequence = layer.output.shape[1]
    projections = (attention.query_dense, attention.key_dense, attention.value_dense, attention.output_dense)
    kernel_sizes = sum(int(keras.ops.size(dense.kernel)) for dense in projections)
    products = attention.num_heads * sequence * sequence * (attention.key_dim + attention.value_dim)
    return sequence * kernel_sizes + products


flops.LAYER_RULES[SelfAttention] = _self_attention_multiply_adds
flops.LAYER_RULES[PositionEmbedding] = flops.no_matrix_products
