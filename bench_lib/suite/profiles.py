"""The suite's run-size profiles: QUICK (the default, under 5 minutes on 2 cores), FULL, and NIGHTLY (regressions).

A profile holds the sizes every question shares (epochs, dataset, strategies, seeds, ...) and,
from the question registry (bench_lib.questions), each question's own; benchmark modules pick
from both in their grid(profile). A figure only one question uses belongs in its registry entry;
an option that changes a figure is one row of options.OPTIONS, or of the question's `options`.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench_lib import questions
from bench_lib.config import cluster as cluster_lib
from bench_lib.config import collective
from bench_lib.config.spec import RunSpec


@dataclass(frozen=True)
class UntilDecided:
    """Seeds until decided (bench_lib.suite.until_decided): the most seeds a configuration may reach,
    and the questions whose comparisons get seeds (None: every question with several seeds)."""

    cap: int
    questions: tuple[str, ...] | None = None

    def __str__(self) -> str:
        return f"{self.cap}:{','.join(self.questions)}" if self.questions else str(self.cap)


@dataclass(frozen=True, kw_only=True)
class Profile:
    """How big a suite run is: the sizes every question shares, and each question's own (from its registry entry)."""

    name: str
    epochs: int
    dataset: str
    strategies: tuple[str, ...]
    # The strategies of the seeded accuracy questions (those whose grid is accuracy_grid); None:
    # `strategies`. Their figures are the global batch's, which a mirrored step computes as one
    # device does (to 2e-7, tests/test_train.py), so the quick profile trains them on one device
    # only and leaves what the strategy costs to the questions that time it on every strategy.
    accuracy_strategies: tuple[str, ...] | None
    replicas: int
    warmup_steps: int
    seeds: int | None  # --bench-seeds: every question; None: each question's own default
    question_seeds: int  # the default of the questions whose findings need intervals
    # --bench-seeds-until-decided: seeds added to undecided comparisons after the first pass; None: none added.
    seeds_until_decided: UntilDecided | None = None
    wide_mlp_hidden_units: tuple[int, ...]  # the wide MLP of the MFU target, for every question that times it
    # The multi_worker cluster (from TF_CONFIG or Slurm; None: one worker), and the replicas in each worker.
    cluster: cluster_lib.Cluster | None = None
    replicas_per_worker: int = 1
    # multi_worker's all-reduce (bench_lib/config/collective.py); one strategy per process, so one per session.
    collective: str = "auto"
    bytes_per_pack: int = 0
    collective_timeout_s: float | None = None
    # --bench-rounds: timed rounds of every configuration, replacing its epoch or step budget.
    rounds: int | None = None
    # --bench-processes: processes per configuration of measure_run, the suite's own included.
    processes: int = 1
    deterministic: bool = False
    memory_limit_mib: int | None = None
    # TensorFlow's thread pools and the CPUs the processes may run on; None: TensorFlow's (the system's) choice.
    intra_op_threads: int | None = None
    inter_op_threads: int | None = None
    cpu_affinity: tuple[int, ...] | None = None
    # How many CPUs the session and its further processes run on: the first this many of those it may
    # use (after cpu_affinity, if set); None: all of them.
    cpu_count: int | None = None
    # Each question's sizes (its module's Sizes) in this profile, by question name: the registry's
    # sizes of the profile of this name (questions.registry.PROFILE_NAMES).
    question_sizes: Mapping[str, object] = dataclasses.field(default_factory=dict, hash=False)

    def sizes(self, question: str) -> Any:
        """One question's sizes in this profile: the Sizes its registry entry declares, with any changes made here.

        Raises:
          ValueError: no question of that name has sizes.
        """
        if question in self.question_sizes:
            return self.question_sizes[question]
        entry = questions.find(question)  # registered after this profile was built
        if entry is None or entry.quick is None or self.name not in questions.registry.PROFILE_NAMES:
            raise ValueError(f"question={question!r} is not allowed: choose one of {', '.join(self.question_sizes)}")
        return entry.sizes(self.name)

    def value(self, name: str) -> object:
        """The value of a field, named as in changed(): 'epochs', or 'question.field' for a question's size."""
        question, _, field = name.rpartition(".")
        return getattr(self.sizes(question) if question else self, field)

    def changed(self, changes: Mapping[str, object]) -> Profile:
        """This profile with fields changed; a name 'question.field' changes one field of that question's sizes.

        Raises:
          ValueError: no question of that name has sizes.
          TypeError: the profile or the question's sizes have no field of that name.
        """
        own = {k: v for k, v in changes.items() if "." not in k}
        sizes = dict(self.question_sizes)
        for name, value in changes.items():
            if "." in name:
                question, field = name.split(".", 1)
                own_sizes = sizes[question] if question in sizes else self.sizes(question)
                sizes[question] = dataclasses.replace(own_sizes, **{field: value})
        return dataclasses.replace(self, **own, question_sizes=sizes)

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

    @property
    def workers(self) -> int:
        """The processes of a multi_worker run: the cluster's, 1 without one."""
        return self.cluster.workers if self.cluster is not None else 1

    def shape(self, strategy: str) -> dict[str, object]:
        """The strategy, replicas and, for multi_worker, workers and collective fields of a spec.

        The replicas and workers are bench_lib.config.cluster.shape's, as the command line's are.
        """
        if strategy == "multi_worker":
            found = cluster_lib.shape(strategy, self.cluster, replicas_per_worker=self.replicas_per_worker)
            return {"strategy": strategy, **found, **{name: getattr(self, name) for name in collective.DEFAULTS}}
        found = cluster_lib.shape(strategy, None, default_replicas=1 if strategy == "one_device" else self.replicas)
        return {"strategy": strategy, "replicas": found["replicas"]}

    def grid(self, **axes: object) -> list[dict[str, object]]:
        """Spec fields for every strategy crossed with every combination of the axes.

        An axis is a tuple of values or a single value, e.g.
        grid(global_batch_size=(32, 128), model="cnn").
        """
        return self._grid(self.strategies, axes)

    def accuracy_grid(self, **axes: object) -> list[dict[str, object]]:
        """As grid(), over the accuracy questions' strategies (accuracy_strategies, else every strategy)."""
        return self._grid(self.accuracy_strategies or self.strategies, axes)

    def _grid(self, strategies: tuple[str, ...], axes: dict[str, object]) -> list[dict[str, object]]:
        values = [v if isinstance(v, tuple) else (v,) for v in axes.values()]
        return [
            {**self.shape(strategy), **dict(zip(axes, point, strict=True))}
            for strategy in strategies
            for point in itertools.product(*values)
        ]


QUICK = Profile(
    name="quick",
    epochs=5,
    dataset="digits",
    strategies=("one_device", "mirrored"),
    accuracy_strategies=("one_device",),
    replicas=2,
    warmup_steps=3,
    seeds=None,
    question_seeds=3,
    # Within the 5-minute budget: the questions that declare it (headline answers whose seeds cost little).
    seeds_until_decided=UntilDecided(6, questions.quick_until_decided()),
    wide_mlp_hidden_units=(512, 512),
    question_sizes=questions.profile_sizes("quick"),
)
FULL = dataclasses.replace(
    QUICK,
    name="full",
    accuracy_strategies=None,
    epochs=20,
    dataset="mnist_5k",
    warmup_steps=5,
    question_seeds=5,
    seeds_until_decided=UntilDecided(10),  # every question whose configurations have several seeds
    question_sizes=questions.profile_sizes("full"),
)
# Regression tracking: the quick profile's grid, each timed configuration in 3 processes (the suite's own
# and 2 fresh ones, whose medians compare and trend judge between-process noise by), one intra-op thread
# and a fixed inter-op pool. Made for the timed questions (docs/running/nightly.md); a question whose timed
# work per process the median needs longer declares its own nightly sizes, the others keep their quick ones.
# Pinned to one CPU: a process alone on its CPU is placed the same way every time, the lever that
# narrows the between-process spread most (docs/running/nightly.md renders what
# tools/dev/noise_levers.py measured); it measures one CPU's speed, as a regression tracker may.
NIGHTLY = dataclasses.replace(
    QUICK,
    name="nightly",
    processes=3,
    intra_op_threads=1,
    inter_op_threads=2,
    cpu_count=1,
    question_sizes=questions.profile_sizes("nightly"),
)
PROFILES = {p.name: p for p in (QUICK, FULL, NIGHTLY)}
