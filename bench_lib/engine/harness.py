"""Harness overhead: the suite's training step against a textbook loop, keras.Model.fit and a minimal loop, interleaved.

The four variants: (a) the suite's own Trainer and TrainingLoop, built by preparation.prepare like
every configuration; (b) the textbook loop, one tf.function taking the iterator: next batch,
forward under a GradientTape, mean loss, apply; (c) keras.Model.fit with the spec's jit_compile
and steps_per_execution (fit's own default jit_compile="auto" would turn XLA on); (d) the minimal
loop: the textbook step fed from batches cut once from the arrays and cached, built here without
the library's pipeline. (a) to (c) train the same model (build_model), optimizer (build_optimizer)
and tf.data pipeline (global_batches), so what differs between them is the harness: the strategy,
accumulation loop, accuracy count and per-step bookkeeping on one side, Keras's trainer on the
other. (d) shares only model and optimizer, so against it the suite's figure also pays for the
library's pipeline, wherever that pipeline takes CPU from the step.

Why interleaved rounds: timing the variants one after the other lets a change of the machine's load
between them move the ratios. Instead the suite's timed steps are cut into blocks of
block_steps optimizer steps (by default the suite loop's own calibrated blocks), and around each
block of the suite the others run one block each, in an order that rotates every round (suite,
hand-written, fit, minimal; hand-written, fit, minimal, suite; ...), so load drifts and a block's
predecessor hit every variant alike. Each block gives one examples/s per variant, each round
one ratio per pair, and a ratio is reported as the median over the rounds with its quartiles,
range and number of rounds.

Why the suite's blocks are its pytest-benchmark rounds: the alternatives run in the suite loop's
untimed between-steps hook (InterleavedRounds.attach), so the suite's blocks are exactly the
timed blocks that pytest-benchmark records and the result's examples_per_sec sums — the main
figure is measured as in every other benchmark, and the ratios cost no extra suite steps.

How each block is timed: (a) by TrainingLoop's own timer, from dispatch until the loss and
accuracy are read back; (b) and (d) the same way around each call, reading the loss back; (c) within
one fit() call of block_steps + 2 × steps_per_execution steps, from the start of its second
execution to the start of its last (a callback stamps each start), so that fit's per-call
start-up and first batch — paid once per epoch in real use, like the suite's untimed epoch-end
evaluation — stay out, while its per-step work (Python loop, callbacks, metrics) stays in.
A stamp at batch begin keeps Keras's asynchronous end-of-batch callbacks on, as in a plain fit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import tensorflow as tf

from bench_lib.config.spec import RunSpec
from bench_lib.engine import data as data_lib
from bench_lib.engine.loop import TrainingLoop
from bench_lib.engine.model import build_model, build_optimizer, release_variables
from bench_lib.maths import stats

SUITE, HANDWRITTEN, FIT, MINIMAL = "suite", "handwritten", "fit", "minimal"
VARIANTS = (SUITE, HANDWRITTEN, FIT, MINIMAL)
ALTERNATIVES = VARIANTS[1:]


class Handwritten:
    """The textbook tf.function training loop on the spec's model, optimizer and pipeline, no strategy."""

    def __init__(self, spec: RunSpec, data: data_lib.Dataset, batches: tf.data.Dataset | None = None) -> None:
        """batches, if given, feed the loop instead of the library's pipeline (global_batches)."""
        self.model = build_model(spec, data.image_shape, data.num_classes)
        self.optimizer = build_optimizer(spec)
        self.optimizer.build(self.model.trainable_variables)
        model, optimizer = self.model, self.optimizer
        loss_fn = keras.losses.SparseCategoricalCrossentropy()

        @tf.function
        def train_step(iterator: tf.data.Iterator) -> tf.Tensor:
            x, y = next(iterator)
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
            return loss

        self._step = train_step
        self._iterator = iter(batches if batches is not None else data_lib.global_batches(data, spec))

    def run(self, steps: int) -> tuple[int, float]:
        """(steps, seconds): `steps` calls, each timed until its loss is read back."""
        total = 0.0
        for _ in range(steps):
            start = time.perf_counter()
            self._step(self._iterator).numpy()
            total += time.perf_counter() - start
        return steps, total


def minimal(spec: RunSpec, data: data_lib.Dataset) -> Handwritten:
    """The textbook loop on batches cut once from the arrays and cached: the least a step can cost."""
    n, size = len(data.x_train) // spec.global_batch_size, spec.global_batch_size
    x = data.x_train[: n * size].reshape(n, size, *data.image_shape)
    y = data.y_train[: n * size].reshape(n, size)
    return Handwritten(
        spec, data, data_lib.without_autotune(tf.data.Dataset.from_tensor_slices((x, y)).cache().repeat())
    )


class _BatchStarts(keras.callbacks.Callback):
    """Stamps the start of every execution of fit (one per steps_per_execution steps)."""

    def __init__(self) -> None:
        super().__init__()
        self.starts: list[tuple[int, float]] = []

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.starts.append((batch, time.perf_counter()))


class Fit:
    """keras.Model.fit on the spec's model, optimizer and pipeline, with its jit_compile and steps_per_execution."""

    def __init__(self, spec: RunSpec, data: data_lib.Dataset) -> None:
        self.model = build_model(spec, data.image_shape, data.num_classes)
        self.optimizer = build_optimizer(spec)
        self.optimizer.build(self.model.trainable_variables)
        self.model.compile(
            optimizer=self.optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(),
            metrics=["accuracy"],
            jit_compile=spec.jit_compile,
            steps_per_execution=spec.steps_per_execution,
        )
        self._dataset = data_lib.global_batches(data, spec)
        self._per_execution = spec.steps_per_execution

    def run(self, steps: int) -> tuple[int, float]:
        """(steps timed, seconds): one fit() call, timed from its second execution's start to its last's."""
        starts = _BatchStarts()
        self.model.fit(
            self._dataset,
            steps_per_epoch=steps + 2 * self._per_execution,
            epochs=1,
            verbose=0,
            shuffle=False,
            callbacks=[starts],
        )
        (first_step, first_s), (last_step, last_s) = starts.starts[1], starts.starts[-1]
        return last_step - first_step, last_s - first_s


def alternatives(spec: RunSpec, data: data_lib.Dataset, warmup_steps: int) -> dict[str, Handwritten | Fit]:
    """The hand-written loop, fit and the minimal loop for `spec`, built and warmed up (traced).

    The minimal loop warms up over a whole epoch, so that its cache holds every batch before it is timed.
    """
    keras.backend.clear_session()
    built = {HANDWRITTEN: Handwritten(spec, data), FIT: Fit(spec, data), MINIMAL: minimal(spec, data)}
    built[HANDWRITTEN].run(max(1, warmup_steps))
    built[FIT].run(max(1, warmup_steps))
    built[MINIMAL].run(max(warmup_steps, len(data.x_train) // spec.global_batch_size))
    return built


def release(*variants: Handwritten | Fit) -> None:
    """Frees the variables of the alternatives; they may not run afterwards."""
    for variant in variants:
        release_variables(variant.model, variant.optimizer)


def rotation(round_index: int, variants: tuple[str, ...] = VARIANTS) -> tuple[str, ...]:
    """The order of the variants' blocks in a round: the variants rotated by the round's index."""
    shift = round_index % len(variants)
    return variants[shift:] + variants[:shift]


@dataclass
class _Block:
    variant: str
    steps: int
    seconds: float


class InterleavedRounds:
    """Runs the alternatives between the suite loop's blocks and keeps every block's figures.

    runs maps each alternative variant to a callable(steps) -> (steps timed, seconds). attach()
    hooks it to a TrainingLoop before its first step; finish() runs the last round's remaining
    blocks after the loop's last step. Without block_steps, a block is the loop's own timed block.
    """

    def __init__(
        self,
        *,
        runs: dict[str, Callable[[int], tuple[int, float]]],
        global_batch_size: int,
        block_steps: int | None = None,
    ) -> None:
        self._runs = runs
        self.variants = tuple(v for v in VARIANTS if v == SUITE or v in runs)
        self.block_steps = block_steps
        self._global_batch_size = global_batch_size
        self.rounds: list[list[_Block]] = []
        self._loop: TrainingLoop | None = None
        self._suite_mark = (0, 0.0)

    def attach(self, loop: TrainingLoop) -> None:
        self._loop = loop
        loop.add_between_steps(self._between_steps)

    def _between_steps(self, steps_done: int) -> None:
        loop = self._loop
        if steps_done < loop.warmup_steps:
            return
        self.block_steps = self.block_steps or loop.block_size_steps
        if loop.timed_steps < len(self.rounds) * self.block_steps:
            return
        if self.rounds:
            self._close_suite_block()
            self._run(rotation(len(self.rounds) - 1, self.variants), after_suite=True)
        self.rounds.append([])
        self._run(rotation(len(self.rounds) - 1, self.variants), after_suite=False)
        self._suite_mark = (loop.timed_steps, loop.timed_s)

    def finish(self) -> None:
        """Closes the suite's last block and runs the blocks that follow it in the last round."""
        if self.rounds and not any(b.variant == SUITE for b in self.rounds[-1]):
            self._close_suite_block()
            self._run(rotation(len(self.rounds) - 1, self.variants), after_suite=True)

    def _close_suite_block(self) -> None:
        steps, seconds = self._suite_mark
        block = _Block(SUITE, self._loop.timed_steps - steps, self._loop.timed_s - seconds)
        if block.steps:
            self.rounds[-1].append(block)

    def _run(self, order: tuple[str, ...], *, after_suite: bool) -> None:
        at = order.index(SUITE)
        for variant in order[at + 1 :] if after_suite else order[:at]:
            self.rounds[-1].append(_Block(variant, *self._runs[variant](self.block_steps)))

    def figures(self) -> dict[str, object]:
        """The ratios' spreads over the complete rounds and each variant's examples/s over all its blocks."""
        complete = [r for r in self.rounds if {b.variant for b in r} == set(self.variants)]
        return harness_figures(
            [{b.variant: (b.steps, b.seconds) for b in r} for r in complete], self._global_batch_size, self.block_steps
        )


def harness_figures(
    rounds: Sequence[dict[str, tuple[int, float]]], global_batch_size: int, block_steps: int
) -> dict[str, object]:
    """Result fields from each round's (steps, seconds) per variant.

    suite_over_handwritten, suite_over_fit and suite_over_minimal are the medians of the rounds'
    ratios of examples/s; *_spread holds median, quartiles, range and n of each; the variants'
    examples/s are total examples over total time of all their blocks.
    """
    if not rounds:
        return {}

    def rate(steps: int, seconds: float) -> float:
        return steps * global_batch_size / seconds

    fields: dict[str, object] = {
        "harness_rounds": len(rounds),
        "harness_block_steps": block_steps,
        "harness_block_examples_per_sec": {v: [rate(*r[v]) for r in rounds] for v in VARIANTS if v in rounds[0]},
    }
    for variant in (v for v in ALTERNATIVES if v in rounds[0]):
        fields[f"{variant}_examples_per_sec"] = rate(
            sum(r[variant][0] for r in rounds), sum(r[variant][1] for r in rounds)
        )
        ratios = [rate(*r[SUITE]) / rate(*r[variant]) for r in rounds]
        fields[f"suite_over_{variant}"] = stats.median(ratios)
        fields[f"suite_over_{variant}_spread"] = stats.spread(ratios)
    return fields
