"""Seeds until decided: after the first pass, seeds are added to both sides of each undecided comparison, up to a cap.

The profile's seeds_until_decided (--bench-seeds-until-decided CAP[:QUESTION,...]) names the cap
and the questions whose configurations may get seeds. Once every configuration has run, the
session's findings are judged as the report of the saved run will judge them (one family,
bench_lib.suite.summary.judged_results); each comparison over seeds that is still undecided and
whose two figures are configurations of those questions gets one more seed on each side that has
no more values than the comparison tests; then the family is judged again, until no comparison
wants a seed or every side it wants has the cap. A configuration that may get seeds says so in its
result, `seeds_until_decided` = {"first": seeds it started with, "cap": cap}, also when it got none:
its comparisons are then tested on their first n seeds a side and their p-values multiplied by
their planned looks (bench_lib.analysis.family), so the family keeps α whichever look they
stopped at. The added seeds join the result's seed_stats as the first ones did
(bench_lib.record.seeds.extend); they are not among the benchmark's timed rounds.

Not under a multi-worker cluster (every worker would have to add the same seeds) nor under
--bench-isolate (a seed would train in the process isolation keeps TensorFlow out of).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bench_lib.analysis.family import Family
from bench_lib.analysis.vocabulary import figure
from bench_lib.config.plural import count
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


def _owner(results: list[dict], metric: str, values: tuple[float, ...]) -> int | None:
    """The index of the marked result whose figure of `metric` has these values; None if none has (a derived figure)."""
    for i, result in enumerate(results):
        if KEY in result and (f := figure(result, metric)) is not None and f.values == values:
            return i
    return None


def wanted(results: list[dict], family: Family) -> list[int]:
    """The indices of the results that get one more seed: both sides of each undecided comparison between marked
    results, each side with no more values than the comparison tests (the fewer of the two) and under its cap."""
    chosen: dict[int, None] = {}
    for metric, a, b in family.undecided():
        sides = [_owner(results, metric, f.values) for f in (a, b)]
        if None in sides:
            continue
        tested = min(len(a.values), len(b.values))
        for i, f in zip(sides, (a, b), strict=True):
            if len(f.values) <= tested and len(results[i]["seeds"]) < results[i][KEY]["cap"]:
                chosen[i] = None
    return list(chosen)


def top_up(
    results: list[dict],
    plan: UntilDecided,
    *,
    judge: Callable[[list[dict]], Family],
    add_seed: Callable[[dict], dict],
    said: Callable[[str], None] = lambda line: None,
) -> list[dict]:
    """The results after seeds were added until every comparison between marked results is decided or capped.

    judge: the settled family of a list of results (as the report judges them). add_seed: a
    result with one more seed (bench_lib.record.seeds.extend of a further seed's run). Every
    round adds one seed to each side that wants one; a side stops at the cap, so the rounds are at
    most cap − first.
    """
    results = mark(results, plan)
    if not any(KEY in r for r in results):
        return results
    while chosen := wanted(results, family := judge(results)):
        said(f"seeds until decided: {count(len(family.undecided()), 'comparison')} undecided; one more seed for "
             + ", ".join(f"{results[i].get('question')} {results[i]['id']}" for i in chosen))  # fmt: skip
        for i in chosen:
            results[i] = add_seed(results[i])
    return results


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
    """Why this session adds no seeds although its profile would: a cluster, isolation, or an isolated child."""
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
    if plan is None or session.shouldstop or session.shouldfail or config.stash.get(stash.INTERRUPTED, False):
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
