"""Seeds until decided: after the first pass, seeds are added to both sides of each undecided comparison, up to a cap.

The profile's seeds_until_decided (--bench-seeds-until-decided CAP[:QUESTION,...]) names the cap
and the questions whose configurations may get seeds. Once every configuration has run, the
session's findings are judged as the report of the saved run will judge them (one family,
bench_lib.suite.summary.judged_results); each comparison over seeds that is still undecided and
whose two figures are configurations of those questions gets one more seed on each side that has
no more values than the comparison tests; then the family is judged again, until no comparison
wants a seed or every side it wants has the cap or is held: a side whose added seed failed or
diverged, or whose added seeds twice gave no value (never reached the target), gets no more, and
the session says so. A configuration that may get seeds says so in its
result, `seeds_until_decided` = {"first": seeds it started with, "cap": cap}, also when it got none:
its comparisons are then tested on their first n seeds a side and their p-values multiplied by
their planned looks (bench_lib.analysis.family), so the family keeps α whichever look they
stopped at. The added seeds join the seed_stats of the metrics that do not depend on the process
(accuracies, losses, steps and examples to the target, sharpness, noise scale:
bench_lib.record.seeds.extend); timings and memory, and the benchmark's timed rounds, stay the
first pass's.

Not under a multi-worker cluster (every worker would have to add the same seeds) nor under
--bench-isolate (a seed would train in the process isolation keeps TensorFlow out of).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bench_lib.analysis.family import Family
from bench_lib.analysis.vocabulary import Figure, question_of
from bench_lib.config.wording import count
from bench_lib.record.seeds import EXTENDED
from bench_lib.suite import stash
from bench_lib.suite.profiles import UntilDecided

KEY = "seeds_until_decided"
NOT_HERE = pytest.StashKey[str]()  # why seeds were not added in this session, for the summary


def eligible(result: dict, plan: UntilDecided) -> bool:
    """Whether a configuration may get seeds: ok, 2 seeds or more under the cap, one process, a chosen question."""
    seeds = result.get("seeds") or []
    return (
        result.get("status") == "ok"
        and 2 <= len(seeds) < plan.cap
        and (result.get("spec") or {}).get("workers", 1) == 1
        and (plan.questions is None or result.get("question") in plan.questions)
    )


def mark(results: list[dict], plan: UntilDecided) -> list[dict]:
    """The results with `seeds_until_decided` on each one that may get seeds (its first seed count and the cap)."""
    return [{**r, KEY: {"first": len(r["seeds"]), "cap": plan.cap}} if eligible(r, plan) else r for r in results]


# A side whose added seeds gave no value this many times (runs that never reached the target) gets no more:
# each costs the full budget and a side that keeps missing would take every seed up to the cap.
MISSES = 2


def _owner(results: list[dict], f: Figure) -> int | None:
    """The index of the marked result the figure was read from; None if none (a derived figure, or unmarked)."""
    for i, result in enumerate(results):
        if KEY in result and f.source == (question_of(result), str(result.get("id"))):
            return i
    return None


def held(result: dict, metric: str | None = None) -> str | None:
    """Why a marked result gets no more seeds although under its cap: an added seed that did not end ok, or
    MISSES added seeds without a value of the metric (of any metric added seeds join that its first seeds gave,
    without one); None if neither.
    """
    first, seeds = result[KEY]["first"], result.get("seeds") or []
    statuses = (result.get("seed_statuses") or [])[first:]
    for seed, status in zip(seeds[first:], statuses, strict=False):
        if status != "ok":
            return f"its added seed {seed} ended {status}: no more seeds for it"
    stats_of = result.get("seed_stats") or {}
    for name in [metric] if metric else sorted(stats_of.keys() & EXTENDED):
        values = (stats_of.get(name) or {}).get("values") or []
        measured = any(v is not None for v in values[:first])  # a metric the configuration never gives is not missed
        if measured and sum(v is None for v in values[first:]) >= MISSES:
            return f"{MISSES} of its added seeds gave no {name}: no more seeds for its comparisons of {name}"
    return None


def wanted(results: list[dict], family: Family) -> tuple[list[int], int]:
    """The indices of the results that get one more seed, and how many comparisons wanted them: both sides of each
    undecided comparison between marked results, each side with no more values than the comparison tests (the
    fewer of the two) and under its cap; none for a comparison with a side held (held)."""
    chosen: dict[int, None] = {}
    asking = 0
    for metric, a, b in family.undecided():
        sides = [_owner(results, f) for f in (a, b)]
        if None in sides or any(held(results[i], metric) for i in sides):
            continue
        tested = min(len(a.values), len(b.values))
        more = [
            i
            for i, f in zip(sides, (a, b), strict=True)
            if len(f.values) <= tested and len(results[i]["seeds"]) < results[i][KEY]["cap"]
        ]
        asking += bool(more)
        chosen |= dict.fromkeys(more)
    return list(chosen), asking


def held_lines(results: list[dict]) -> list[str]:
    """A line for each marked result that stopped getting seeds before its cap, and why."""
    return [
        f"seeds until decided: {r.get('question')} {r['id']}: {why}"
        for r in results
        if KEY in r and len(r.get("seeds") or []) < r[KEY]["cap"] and (why := held(r))
    ]


def top_up(
    results: list[dict],
    plan: UntilDecided,
    *,
    judge: Callable[[list[dict]], Family],
    add_seed: Callable[[dict], dict],
    said: Callable[[str], None] = lambda line: None,
) -> list[dict]:
    """The results after seeds were added until every comparison between marked results is decided, capped or held.

    judge: the settled family of a list of results (as the report judges them). add_seed: a
    result with one more seed (bench_lib.record.seeds.extend of a further seed's run). Every
    round adds one seed to each side that wants one; a side stops at the cap, so the rounds are at
    most cap − first; a side whose added seed failed, or whose added seeds gave no value MISSES
    times, stops there (held), and said names it.
    """
    results = mark(results, plan)
    if not any(KEY in r for r in results):
        return results
    while True:
        chosen, asking = wanted(results, judge(results))
        if not chosen:
            return results
        names = ", ".join(f"{results[i].get('question')} {results[i]['id']}" for i in chosen)
        said(f"seeds until decided: one more seed for {names} ({count(asking, 'undecided comparison')} to decide)")
        for i in chosen:
            was, results[i] = held(results[i]), add_seed(results[i])
            if (why := held(results[i])) is not None and why != was:
                said(f"seeds until decided: {results[i].get('question')} {results[i]['id']}: {why}")


def one_more_seed(result: dict) -> dict:
    """The result with the configuration trained once more, with the seed after its last (prepared afresh)."""
    from bench_lib.config.spec import RunSpec
    from bench_lib.engine import preparation, runner
    from bench_lib.record import seeds

    spec = RunSpec.from_dict(dict(result["spec"])).replace(seeds=1, seed=max(result["seeds"]) + 1)
    prepared = preparation.prepare(spec)
    try:
        more = runner.train_and_conclude(prepared, time_input=False)
    finally:
        preparation.release(prepared)
    return seeds.extend(result, [more])


def why_not_here(config: pytest.Config) -> str | None:
    """Why this session adds no seeds although its profile would: a cluster, isolation, an isolated child, or
    --bench-seeds at or above the profile's own cap (a cap given on the command line is checked by the options)."""
    profile = config.stash[stash.PROFILE]
    if (first := profile.seeds_of_question()) >= (cap := profile.seeds_until_decided.cap):
        starts = f"the {first} seeds a configuration starts with (--bench-seeds)"
        return f"the profile's cap of {cap} seeds is not above {starts}"
    if config.stash[stash.CLUSTER] is not None:
        return "not in a multi-worker cluster"
    if config.getoption("--bench-isolate") or config.getoption("--bench-child-journal", None):
        return "not with --bench-isolate"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session):
    """After every configuration ran, and before the run is saved: seeds until decided."""
    outcome = yield
    config = session.config
    plan = config.stash[stash.PROFILE].seeds_until_decided
    if plan is None or session.shouldstop or session.shouldfail:
        return outcome
    if (reason := why_not_here(config)) is not None:
        config.stash[NOT_HERE] = reason
        return outcome
    from bench_lib.suite import summary

    reporter = config.pluginmanager.get_plugin("terminalreporter")
    said = (lambda line: reporter.write_line(f"tfbench: {line}")) if reporter is not None else (lambda line: None)
    before = summary.judged_results(config)
    after = top_up(before, plan, judge=summary.judged_family, add_seed=one_more_seed, said=said)
    summary.replace_results(config, before, after)
    return outcome
