"""Builds the Keras model a RunSpec names (through the model registry) and its optimizer.

Call these inside strategy.scope() so that variables are created where the strategy wants.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import keras
import tensorflow as tf

from bench_lib.config import models
from bench_lib.config.spec import RunSpec
from bench_lib.engine import schedule
from bench_lib.probes import flops

Builder = Callable[[RunSpec, tuple[int, ...], int], keras.Model]


def build_model(spec: RunSpec, input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    """The spec's model, built by its registered builder for inputs of input_shape, with softmax outputs.

    The weights are seeded with spec.seed. spec.precision becomes the dtype policy of this model's
    layers only — Keras's global policy is never touched, so configurations in one process cannot
    leak into each other; the output layer computes in float32, so softmax and the loss do.

    Raises:
      flops.UncountedLayerError: the model has a layer whose FLOPs no rule counts.
    """
    keras.utils.set_random_seed(spec.seed)
    model = builder(spec.model)(spec, tuple(input_shape), num_classes)
    flops.layer_flops(model)  # every layer must be countable before anything is measured
    return model


def builder(name: str) -> Builder:
    """The build function a registered model's declaration names, imported now."""
    module_name, function = models.declared(name).builder.split(":")
    return getattr(importlib.import_module(module_name), function)


def build_optimizer(spec: RunSpec, *, steps_per_epoch: int = 1) -> keras.optimizers.Optimizer:
    """sgd, momentum (SGD with momentum 0.9) or adam at the spec's scaled learning rate.

    steps_per_epoch turns warmup_epochs into steps (see bench_lib/engine/schedule.py).
    """
    lr = schedule.learning_rate(spec, steps_per_epoch)
    if spec.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    momentum = 0.9 if spec.optimizer == "momentum" else 0.0
    return keras.optimizers.SGD(learning_rate=lr, momentum=momentum)


def count_parameters(model: keras.Model) -> int:
    return int(sum(v.numpy().size for v in model.trainable_variables))


def release_variables(model: keras.Model, optimizer: keras.optimizers.Optimizer) -> None:
    """Frees the memory of the model's and optimizer's variables; neither may be used afterwards.

    Assigning each variable an empty tensor frees its buffer at once, whoever still holds the
    variable — on this TensorFlow/Keras a traced optimizer step is kept alive by TensorFlow's
    gradient registry (see strategy.forget_custom_gradients), and with it every variable it
    updated, so a long sweep would keep every configuration's variables (docs/reliability.md,
    "Memory over a long sweep").
    """
    for variable in [*model.variables, *optimizer.variables]:
        variable = getattr(variable, "value", variable)  # a Keras variable wraps a tf.Variable
        for component in getattr(variable, "values", (variable,)):  # one per replica when mirrored
            tf.raw_ops.AssignVariableOp(
                resource=component.handle, value=tf.zeros([0], component.dtype), validate_shape=False
            )
