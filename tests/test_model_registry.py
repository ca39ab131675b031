"""A model is one declaration plus one builder: a toy model registered here, in the test, trains,
is counted and reports like a built-in one; RunSpec checks what a model accepts."""

import json
import re

import keras
import pytest

from bench_lib.config import models
from bench_lib.config.models import ModelDeclaration
from bench_lib.config.spec import RunSpec
from bench_lib.engine import runner
from bench_lib.engine.model import build_model
from bench_lib.probes.flops import UncountedLayerError
from bench_lib.render.tables import markdown_table, strategy_tables

ONE_POINT = {"model": "toy", "optimizer": "sgd", "global_batch_size": 32, "steps": 3, "warmup_steps": 1}


def build_toy(spec: RunSpec, input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    layers = [
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(num_classes, activation="softmax", dtype="float32"),
    ]
    return keras.Sequential([keras.Input(shape=input_shape), *layers], name=spec.model)


class Doubling(keras.layers.Layer):
    def call(self, x):
        return x * 2.0


def build_uncounted(spec: RunSpec, input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    return keras.Sequential([keras.Input(shape=input_shape), Doubling(name="doubling")], name=spec.model)


@pytest.fixture
def registered():
    """Registers the given declarations for one test, and removes them afterwards."""
    added = []

    def register(**fields: object) -> ModelDeclaration:
        added.append(models.register(ModelDeclaration(**fields)))
        return added[-1]

    yield register
    for declaration in added:
        models.unregister(declaration.name)


def test_a_toy_model_registered_at_test_time_trains_counts_and_reports(registered):
    registered(name="toy", builder=f"{__name__}:build_toy", tunes=())
    result = runner.run(RunSpec(**ONE_POINT))
    assert result.status == "ok", result.error
    assert result.spec.id == "one_device-bs32-acc1-toy-sgd"
    # digits: 8x8 inputs. Flatten 64 -> Dense 16 -> Dense 10; the first Dense has no input gradient.
    assert result.flops_per_step == 32 * (6 * (64 * 16 + 16 * 10) - 2 * 64 * 16)
    saved = json.loads(json.dumps(result.as_dict()))
    row = markdown_table([saved]).splitlines()[2]
    assert row.startswith("| one_device-bs32-acc1-toy-sgd | ok |")
    (table,) = strategy_tables([saved])
    assert any("toy" in cell for line in table.rows for cell in line)


def test_a_layer_without_a_flops_rule_fails_the_build_before_any_training(registered):
    registered(name="uncounted", builder=f"{__name__}:build_uncounted")
    spec = RunSpec(model="uncounted")
    with pytest.raises(UncountedLayerError, match=r"model 'uncounted': layer 'doubling' is a .*Doubling"):
        build_model(spec, (8, 8), 10)


def test_the_spec_checks_names_input_kinds_and_the_fields_a_model_reads(registered):
    built_in = ", ".join(model.name for model in models.BUILT_IN)
    with pytest.raises(ValueError, match=rf"model='toy' is not allowed: choose one of {built_in}$"):
        RunSpec(model="toy")
    registered(name="toy", builder=f"{__name__}:build_toy", tunes=("dropout",), batch_norms=("none",))
    registered(name="reader", builder=f"{__name__}:build_toy", input_kind="tokens")
    with pytest.raises(ValueError, match=rf"choose one of {built_in}, toy, reader$"):
        RunSpec(model="resnet")
    with pytest.raises(ValueError, match=r"^hidden_units=\(64,\) is not allowed: model='toy' does not use it"):
        RunSpec(model="toy", hidden_units=(64,))
    with pytest.raises(ValueError, match=r"^bn='local' is not allowed: model='toy' accepts bn= none$"):
        RunSpec(model="toy", bn="local")
    with pytest.raises(ValueError, match=r"^dataset='digits' is not allowed: it gives images and model='reader' takes"):
        RunSpec(model="reader")
    assert RunSpec(model="toy", dropout=0.5).batch_norm == "none"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "Toy"}, "name='Toy' is not allowed: lower-case letters"),
        ({"builder": "toy.build"}, "builder='toy.build' is not allowed: a dotted path 'package.module:function'"),
        ({"input_kind": "audio"}, "input_kind='audio' is not allowed: choose one of images, tokens"),
        ({"batch_norm": "local", "batch_norms": ("none",)}, "batch_norm='local' is not allowed: one of"),
        ({"tunes": ("epochs",)}, "tunes=('epochs',) is not allowed: a tuple of hidden_units, dropout"),
    ],
)
def test_a_bad_declaration_is_one_line_naming_the_field(fields, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        ModelDeclaration(**{"name": "toy", "builder": "m:f", **fields})


def test_built_in_models_cannot_be_replaced_or_removed():
    with pytest.raises(ValueError, match=r"^name='mlp' is not allowed: a model of that name is registered already"):
        models.register(ModelDeclaration(name="mlp", builder="m:f"))
    with pytest.raises(ValueError, match=r"^name='cnn' is not allowed: only a model added by register"):
        models.unregister("cnn")


def test_the_transformer_takes_a_size_and_its_presets_keep_theirs():
    default = RunSpec(model="transformer", dataset="synthetic")
    assert models.transformer_size(default) == models.declared("transformer_small").transformer
    assert (default.transformer_layers, default.transformer_width, default.sequence_length) == (2, 128, 64)
    assert default.id == "one_device-bs128-acc1-transformer-adam"  # a size is in the id only where it differs
    assert RunSpec(model="transformer", dataset="synthetic", transformer_layers=2) == default
    sized = RunSpec(model="transformer", dataset="synthetic", transformer_layers=4, sequence_length=128)
    assert sized.id == "one_device-bs128-acc1-transformer-adam-layers4-seq128"
    assert models.example_shape(sized) == (128,)
    assert RunSpec.from_dict(json.loads(json.dumps(sized.as_dict()))) == sized
    assert RunSpec(model="bert_base", dataset="synthetic").id == "one_device-bs128-acc1-bert_base-adam"
    assert models.transformer_size(RunSpec()) is None and models.example_shape(RunSpec()) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"model": "bert_base", "transformer_layers": 4}, "transformer_layers=4 is not allowed: model='bert_base' "
         "is fixed at 12 layers, width 768, 12 heads, sequence 128; model='transformer' takes a size"),
        ({"model": "resnet20", "sequence_length": 32}, "sequence_length=32 is not allowed: model='resnet20' is not "
         "a transformer"),
        ({"transformer_width": 100, "transformer_heads": 3}, "transformer_width=100 is not allowed: a multiple of "
         "transformer_heads=3"),
        ({"transformer_layers": 0}, "transformer_layers=0 is not allowed: a whole number >= 1"),
        ({"transformer_heads": True}, "transformer_heads=True is not allowed: a whole number >= 1"),
    ],
)  # fmt: skip
def test_a_bad_transformer_size_is_one_line_naming_the_field(fields, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        RunSpec(**{"model": "transformer", "dataset": "synthetic", **fields})
