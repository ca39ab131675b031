"""The fixtures that train and time a configuration: measure_run (one timed step a round) and
measure_runs_to_target (one whole seed's run a round).

Both skip a configuration whose data cannot serve it and record every result (record.recorder);
under a cluster, single-process configurations run on the chief only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bench_lib.config.spec import RunSpec
from bench_lib.suite import interleaving, startup, stash
from bench_lib.suite.record import recorder


@pytest.fixture
def measure_run(benchmark, request: pytest.FixtureRequest):
    """Trains `spec` with its training steps timed in blocks, one pytest-benchmark round each; returns the result dict.

    Each benchmark round is one timed block of the first seed: consecutive calls of the training
    step (bench_lib/engine/loop.py), sized after the warm-up calls so that a block lasts some tens
    of milliseconds; its saved time is the block's time per optimizer step, as the result's
    step_time_ms. Warm-up calls run before the rounds and are not timed; epoch-end evaluation and
    the divergence and memory-limit checks run between calls, untimed. The
    result's metrics and spec go to benchmark.extra_info, with `train_traces`, how often the step
    was traced. `extra`, if given, is called with the result dict and its returned figures are
    added to it. `on_prepared`, if given, is called with the prepared run before its first round,
    e.g. to add untimed work between rounds (TrainingLoop.add_between_steps). Further seeds
    (spec.seeds > 1) run untimed afterwards and the result combines them.
    The further seeds restart the prepared configuration (runner.complete_seeds), so its step is
    traced once: `train_traces` stays 1 however many seeds run.
    A configuration that diverges or runs out of memory stops at once (its remaining rounds are not
    run) and passes with that status; any other error fails its test. Every configuration that is
    not 'ok' is left out of the saved run's `benchmarks` (it did not finish its rounds) and saved,
    with its status, under `tfbench_failures` in the same file.
    """
    from bench_lib.engine import preparation, runner
    from bench_lib.record.result import with_scaling_efficiency

    question = request.node.originalname.removeprefix("test_")
    record = recorder(request, question)

    def measure(
        spec: RunSpec,
        extra: Callable[[dict], dict] | None = None,
        on_prepared: Callable[[preparation.PreparedRun], None] | None = None,
    ) -> dict:
        benchmark.group = request.node.originalname
        seeds_spec, spec = spec, spec.replace(seeds=1)
        _skip_unless_this_worker_takes_part(request.config, spec)
        prepared = _prepare_or_record_failure(spec, record)
        prepared.loop.add_between_steps(startup.raise_if_interrupted)  # untimed, like every between-steps action
        try:
            if on_prepared is not None:
                on_prepared(prepared)
            first = _timed_result(benchmark, prepared, _output_dir(request.config, "--bench-trace"))
            request.node.stash[stash.STEP_TIMES_S] = list(prepared.loop.step_times_s)
            if first.status in ("oom", "failed"):  # diverged is the same step on every worker
                _stop_if_others_wait(spec, f"{spec.id}: {first.status}: {first.error}")
            result = runner.complete_seeds(seeds_spec, first, prepared=prepared).as_dict()
        finally:
            preparation.release(prepared)
        result["train_traces"] = prepared.trainer.train_traces
        result.update(interleaving.queue_or_run(request.config, request.node.nodeid, spec, result))
        if extra is not None and result["status"] == "ok":
            result.update(extra(result))
        result = with_scaling_efficiency(result, request.config.stash.get(stash.RESULTS, []))
        if (scalars := _output_dir(request.config, "--bench-tensorboard")) is not None:
            from bench_lib.engine import observe

            observe.write_scalars(result, scalars / spec.id, prepared.loop.step_times_s)
        record(result)
        if result["status"] == "ok":
            benchmark.extra_info.update(result, question=question)
        else:
            request.node.stash[stash.NOT_SAVED] = True  # saved under tfbench_failures, not `benchmarks`
        if result["status"] == "failed":
            pytest.fail(f"{spec.id}: failed: {result['error']}", pytrace=False)
        return result

    return measure


def _prepare_or_record_failure(spec: RunSpec, record: Callable[[dict], None]):
    """spec prepared; skips a configuration its data cannot serve, records and fails one that cannot start."""
    from bench_lib.engine import preparation, runner

    try:
        return preparation.prepare(spec)
    except (FileNotFoundError, ValueError) as error:  # missing data file, or a batch the data cannot fill
        pytest.skip(str(error))
    except preparation.NotOnEveryWorkerError as error:  # every worker knows: they all go on together
        record(runner.failed(spec, error).as_dict())
        pytest.fail(str(error), pytrace=False)
    except Exception as error:
        record(runner.failed(spec, error).as_dict())
        _stop_if_others_wait(spec, f"{spec.id}: could not start: {error}")
        pytest.fail(f"{spec.id}: could not start: {error}", pytrace=False)


def _output_dir(config: pytest.Config, option: str):
    """The folder an output option names, per task under a cluster (every worker writes its own); None if not given."""
    from pathlib import Path

    text = config.getoption(option)
    if text is None:
        return None
    cluster = config.stash[stash.CLUSTER]
    return Path(text) if cluster is None else Path(text) / cluster.task_name


def _timed_result(benchmark, prepared, trace_dir=None):
    """Runs the prepared configuration under pedantic; a stop ends it with a status (a RunResult)."""
    from bench_lib.engine import runner
    from bench_lib.engine.train import Diverged

    loop = prepared.loop
    try:
        try:
            timed_blocks = loop.warm_up()
            if not timed_blocks:
                prepared.probe.stop()
                pytest.skip(f"{loop.total_steps} steps leave none to time after {loop.warmup_steps} warm-up steps")
            benchmark.pedantic(loop.run_block, setup=loop.before_step, rounds=timed_blocks, warmup_rounds=0)
            loop.run()  # the rest of the budget when pytest-benchmark is disabled
        except Diverged:
            pass  # conclude() records the step
        return runner.conclude(prepared, trace_dir=trace_dir)
    except Exception as error:
        wall_s = time.perf_counter() - prepared.started_at
        return runner.failed(prepared.spec, error, wall_s, loop.steps_done)


@pytest.fixture
def measure_runs_to_target(benchmark, request: pytest.FixtureRequest):
    """Trains `spec` once per seed, each a whole run until its target (MLPerf's time-to-train).

    Each benchmark round is one seed's whole run — set-up, training, evaluations — so the
    benchmark's times are wall times to the target; the result combines the seeds and holds
    steps/examples/seconds_to_target (seconds: summed step time). Seeds that pytest-benchmark
    did not run (--benchmark-disable runs one round) run afterwards. `extra`, if given, joins the
    result's keys (e.g. the lr_tuning question's trials). With restart=True the seeds after the
    first restart its prepared run (preparation.reseed) instead of preparing afresh, so their
    rounds leave out set-up: for questions about steps, not about the time to train.
    """
    from bench_lib.engine import preparation, runner
    from bench_lib.record import seeds

    question = request.node.originalname.removeprefix("test_")
    record = recorder(request, question)

    def measure(spec: RunSpec, extra: dict | None = None, *, restart: bool = False) -> dict:
        benchmark.group = request.node.originalname
        _skip_unless_this_worker_takes_part(request.config, spec)
        pending, results, kept = list(spec.seed_list), [], []

        def one_seed() -> None:
            seed = pending.pop(0)
            if kept:
                results.append(runner.train_and_conclude(preparation.reseed(kept[0], seed), time_input=False))
            elif restart:
                kept.append(preparation.prepare(spec.replace(seed=seed, seeds=1)))
                results.append(runner.train_and_conclude(kept[0]))
                if results[0].status not in ("ok", "diverged") or not preparation.can_reseed(kept[0]):
                    preparation.release(kept.pop())
            else:
                results.append(runner.run_one(spec.replace(seed=seed, seeds=1)))

        try:
            benchmark.pedantic(one_seed, rounds=len(pending), warmup_rounds=0)
            while pending:
                one_seed()
        except (FileNotFoundError, ValueError) as error:
            pytest.skip(str(error))
        finally:
            for prepared in kept:
                preparation.release(prepared)
        result = seeds.combine(results).as_dict() | (extra or {})
        benchmark.extra_info.update(result, question=question)
        record(result)
        if result["status"] != "ok":
            pytest.fail(f"{spec.id}: {result['status']}: {result['error']}", pytrace=False)
        return result

    return measure


def _skip_unless_this_worker_takes_part(config: pytest.Config, spec: RunSpec) -> None:
    """Under a cluster, single-process configurations run on the chief only.

    Depends on the spec alone, so every worker still meets the same multi-worker configurations
    in the same order.
    """
    cluster = config.stash[stash.CLUSTER]
    if cluster is not None and not cluster.is_chief and spec.workers == 1:
        pytest.skip(f"{cluster.task_name}: a single-process configuration runs on the chief only")


def _stop_if_others_wait(spec: RunSpec, message: str) -> None:
    """A multi-worker configuration that failed here leaves the other workers waiting in its
    all-reduce: end this worker's session, so that the launcher (or TensorFlow's heartbeat) ends theirs."""
    if spec.workers > 1:
        pytest.exit(f"{message}; this worker stops, so the whole multi-worker run ends", returncode=1)
