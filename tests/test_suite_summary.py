"""The session's findings and the report of its saved run judge one family, from the same results."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench_lib import questions
from bench_lib.analysis import findings
from bench_lib.cli.saved_runs import report as report_command
from bench_lib.record import history
from bench_lib.suite import stash, summary
from bench_lib.suite.saving import Saving

EXAMPLE = Path(__file__).resolve().parents[1] / "reports" / "example" / "0001_example.json"


def _session_that_saved(path: Path, *, keep_data: bool) -> SimpleNamespace:
    """A session's stash as it stands when it saved the run in path: its benchmark entries and its results."""
    data = json.loads(path.read_text())
    config = SimpleNamespace(stash=pytest.Stash())
    config.stash[stash.FINISHED] = [{"benchmark": b} for b in data["benchmarks"]]
    ok = [{**b["extra_info"], "name": b["name"]} for b in data["benchmarks"] if "schema_version" in b["extra_info"]]
    config.stash[stash.RESULTS] = ok + data.get("tfbench_failures", [])
    config.stash[stash.SAVING] = Saving(name=path.stem, folder=path.parent, keep_data=keep_data, journaled=True)
    return config


def _sentences(results: list[dict]) -> list[str]:
    family = summary.judged_family(results)
    return findings.findings(results, rules=questions.findings_rules(), family=family, cross=questions.cross_findings)


def test_the_session_judges_the_results_the_report_of_its_saved_run_reads():
    """The example run's one-seed throughput figures are read over their saved rounds in both; judged
    without them (the session's own result dicts), the family would have fewer comparisons."""
    session = summary.judged_results(_session_that_saved(EXAMPLE, keep_data=True))
    run = history.load_run(EXAMPLE)
    report = run.judged_results()
    assert len(summary.judged_family(session)) == len(summary.judged_family(report))
    assert _sentences(session) == _sentences(report)
    without_rounds = [{k: v for k, v in r.items() if k != "rounds_s"} for r in report]
    assert len(summary.judged_family(without_rounds)) < len(summary.judged_family(report))


def test_a_run_saved_without_its_rounds_is_judged_without_them():
    session = summary.judged_results(_session_that_saved(EXAMPLE, keep_data=False))
    assert session and all(r["rounds_s"] == () for r in session)


def test_the_session_and_the_report_of_its_saved_run_print_the_same_findings(suite_run):
    report = report_command.report_files(history.load_run(suite_run.saved))["report.md"].splitlines()
    printed = suite_run.stdout.split("tfbench findings", 1)[1].splitlines()
    sentences = [line for line in printed if line.startswith("- ")]
    assert any(s.startswith("- verdicts:") for s in sentences)
    assert [s for s in sentences if s not in report] == []


def test_no_caller_can_judge_a_family_without_every_question_rule():
    """findings() takes the run's family and judged_family every question's glance rules and papers: leaving
    one out would judge a family other than the report's."""
    results = history.load_run(EXAMPLE).judged_results()
    with pytest.raises(TypeError, match="family"):
        findings.findings(results, rules=questions.findings_rules())
    with pytest.raises(TypeError, match="glance_rules"):
        findings.judged_family(results, rules=questions.findings_rules(), papers=None)


def test_an_added_seed_that_diverged_leaves_its_configuration_saved_once_among_the_results():
    from bench_lib.config.spec import RunSpec
    from bench_lib.record.result import RunResult
    from bench_lib.record.seeds import extend

    config = _session_that_saved(EXAMPLE, keep_data=True)
    before = summary.judged_results(config)
    i = next(i for i, r in enumerate(before) if r["status"] == "ok" and len(r.get("seeds") or []) >= 2)
    spec = RunSpec.from_dict(dict(before[i]["spec"])).replace(seeds=1, seed=max(before[i]["seeds"]) + 1)
    diverged = RunResult(spec=spec, status="diverged", seeds=[spec.seed], seed_statuses=["diverged"])
    after = [*before[:i], extend(before[i], [diverged]), *before[i + 1 :]]
    summary.replace_results(config, before, after)
    judged = summary.judged_results(config)
    assert len(judged) == len(before)
    [once] = [r for r in judged if (r["question"], r["id"]) == (before[i]["question"], before[i]["id"])]
    assert once["status"] == "ok" and once["seed_statuses"][-1] == "diverged"
