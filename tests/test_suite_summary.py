"""The session's findings and the report of its saved run judge one family, from the same results."""

from bench_lib.cli import commands
from bench_lib.record import history


def test_the_session_and_the_report_of_its_saved_run_judge_the_same_family(suite_run):
    """The tiny run's one-seed throughput figures are read over their saved rounds in both, so the rule
    sentence (which counts the family's comparisons) and every finding are the same."""
    report = commands.report_files(history.load_run(suite_run.saved))["report.md"]
    findings = suite_run.stdout.split("tfbench findings", 1)[1].splitlines()
    rule = next(line for line in findings if line.startswith("- verdicts:"))
    assert rule in report.splitlines()
    sentences = [line for line in findings if line.startswith("- ")]
    assert len(sentences) > 1
    assert [s for s in sentences if s not in report.splitlines()] == []
