"""The manual's figures come from the reference run: its directives, its grid, and no hand-typed measured figure."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mkdocs_extra import mkdocs_extra

from bench_lib.config.wording import duration
from bench_lib.record import history
from docs_hooks import reference_run
from docs_hooks.reference_run import DirectiveError, render

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "reports" / "example"
ALLOWED_FIGURES = Path(__file__).with_name("manual_figures_allowed.txt")


@pytest.fixture(scope="module")
def example():
    return reference_run.load_reference(EXAMPLE)


@pytest.fixture(scope="module")
def reference():
    return reference_run.load_reference(ROOT / mkdocs_extra()["reference_run"])


def test_value_mean_and_ratio_read_the_run(example):
    key = "accumulation/one_device-bs256-acc1-mlp-adam"
    result = example.run.by_key()[key].result
    assert render(example, f"value {key} step_time_ms.median .2f") == format(result["step_time_ms"]["median"], ".2f")
    assert render(example, f"mean {key} test_accuracy") == f"{result['test_accuracy']:.3f} (n=1)"
    assert render(example, f"ratio {key} {key} examples_per_sec") == "1.00×"
    assert render(example, "configurations") == str(len(example.run.benchmarks))
    cvs = sorted(b.result["step_time_cv"] for b in example.run.benchmarks if b.question == "throughput")
    assert render(example, "spread throughput step_time_cv .2f").endswith(
        f"({cvs[0]:.2f} to {cvs[-1]:.2f} over {len(cvs)} configurations)"
    )


def test_a_figure_per_example_is_the_steps_over_its_batch_with_an_si_prefix(reference):
    key = next(b.key for b in reference.run.benchmarks if b.question == "models")
    result = reference.run.by_key()[key].result
    per_example = result["flops_per_step"] / result["global_batch_size"]
    assert render(reference, f"per-example {key} flops_per_step .0f") == format(per_example, ".0f")
    rendered = render(reference, f"per-example {key} flops_per_step")
    number, prefix = rendered.split()
    assert float(number) * {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[prefix] == pytest.approx(per_example, rel=5e-3)
    assert reference_run._formatted(272474, "si") == "272 k" and reference_run._formatted(12, "si") == "12"
    with pytest.raises(DirectiveError, match="no key 'no_such_key'"):
        render(reference, f"per-example {key} no_such_key")


def test_findings_of_several_questions_are_one_list_with_one_rule(reference):
    both = render(reference, "findings batch_size batch_size_fixed_steps").splitlines()
    alone = [render(reference, f"findings {q}").splitlines() for q in ("batch_size", "batch_size_fixed_steps")]
    assert [line for line in both if line.startswith("- verdicts:")] == [alone[0][-1]]
    assert both[:-1] == alone[0][:-1] + alone[1][:-1]
    with pytest.raises(DirectiveError, match="one question or more"):
        render(reference, "findings")


def test_a_seeded_mean_shows_its_interval():
    seeded = {"seed_stats": {"test_accuracy": {"mean": 0.9123, "ci95": [0.8971, 0.9262], "n": 3}}}
    bench = history.Benchmark(question="q", id="a", result=seeded, rounds_s=(), timing={})
    run = history.SavedRun(
        path=Path("x.json"), name="x", datetime="", machine={}, commit={}, benchmarks=(bench,), skipped=()
    )
    ref = reference_run.ReferenceRun(run=run, seconds={}, session_seconds=None)
    assert render(ref, "mean q/a test_accuracy") == "0.912 [0.897, 0.926] (n=3)"


@pytest.mark.parametrize(
    ("directive", "message"),
    [
        ("value batch_size/no-such-id test_accuracy", "no configuration 'batch_size/no-such-id'"),
        ("value accumulation/one_device-bs256-acc1-mlp-adam no_such_key", "no key 'no_such_key'"),
        ("table no_such_question", "no question 'no_such_question'"),
        ("colour", "unknown directive 'colour'"),
        ("fingerprint extra", "does not take 1 argument"),
    ],
)
def test_a_directive_the_run_cannot_answer_fails_naming_why(example, directive, message):
    with pytest.raises(DirectiveError, match=re.escape(message)):
        render(example, directive)


def test_a_plot_link_is_relative_to_its_page(example):
    assert render(example, "plot batch_size", "questions/batch-size.md") == "![batch_size](../img/run/batch_size.png)"
    assert render(example, "plot batch_size", "index.md") == "![batch_size](img/run/batch_size.png)"
    assert reference_run.plot_png(example, "batch_size-curves").startswith(b"\x89PNG")


def test_directives_in_code_or_a_workflow_expression_are_left_alone():
    text = "${{ run fingerprint }} and {{ run configurations }}, not `{{ run glance }}`"
    assert reference_run.directives(text) == ["configurations"]


def test_a_spread_reads_a_dotted_key(reference):
    held = sorted(r["computation"]["fingerprint_s"] for r in reference.results("throughput") if "computation" in r)
    assert render(reference, "spread throughput computation.fingerprint_s .2g").endswith(
        f"({held[0]:.2g} to {held[-1]:.2g} over {len(held)} configurations)"
    )


def test_a_saved_search_renders_as_its_facts_line(reference):
    from bench_lib.questions import max_batch_size

    (search,) = max_batch_size.QUESTION.saved(reference.run.extras)
    assert render(reference, "saved max_batch_size") == max_batch_size.search_line(search)
    with pytest.raises(DirectiveError, match="no question 'batch_size' states facts"):
        render(reference, "saved batch_size")


def test_a_saved_sweep_renders_as_its_report_tables(reference):
    from bench_lib.maths.allreduce_figures import size_text
    from bench_lib.questions import allreduce

    (sweep,) = allreduce.QUESTION.saved(reference.run.extras)
    rendered = render(reference, "saved allreduce")
    assert allreduce.sweep_title(sweep, "in-process") in rendered
    assert all(f"| {size_text(row['size_bytes'])} |" in rendered for row in sweep["rows"])
    assert "share of the optimizer step" in rendered


def test_a_kept_run_is_named_by_its_save_name_and_found_in_its_own_folder(tmp_path):
    from bench_lib.cli.main import main

    quick = ROOT / mkdocs_extra()["reference_run"]
    saved = next(quick.glob("[0-9]*_*.json"))
    renamed = tmp_path / "storage" / "0007_other_grid.json"
    renamed.parent.mkdir()
    renamed.write_bytes(saved.read_bytes())
    reports = tmp_path / "reports"
    assert main(["reference-run", str(renamed), "--reports", str(reports), "--name", "other_grid"]) == 0
    (folder,) = (reports / "reference").iterdir()
    assert folder.name.endswith("-other_grid") and [p.name for p in folder.glob("*.json")] == [renamed.name]
    assert reference_run.kept_folder(reports / "reference", "other_grid") == folder
    with pytest.raises(DirectiveError, match=r"0 folders under .* hold a kept run saved as 'nothing'"):
        reference_run.kept_folder(reports / "reference", "nothing")
    assert main(["reference-run", str(renamed), "--reports", str(reports), "--name", "Bad Name"]) == 2
    assert reference_run.run_directives("{{ run@other_grid verdict batch_size }} {{ run glance }}") == [
        ("other_grid", "verdict batch_size"),
        (None, "glance"),
    ]
    assert reference_run.directives("{{ run@other_grid verdict batch_size }} {{ run glance }}") == ["glance"]
    assert render(example_run(), "plot batch_size", "questions/found.md", "other_grid") == (
        "![batch_size](../img/run/other_grid/batch_size.png)"
    )


def example_run():
    return reference_run.load_reference(EXAMPLE)


def test_a_glance_cell_is_the_row_the_report_prints(reference):
    from bench_lib import questions
    from bench_lib.analysis import glance

    rows = glance.glance(reference.results(), rules=questions.glance_rules(), family=reference.family)
    for row in rows:
        assert render(reference, f"answer {row.question}") == row.answer
        assert render(reference, f"evidence {row.question}") == row.evidence
        assert render(reference, f"verdict {row.question}") == row.verdict
    with pytest.raises(DirectiveError, match="no question 'allreduce'"):
        render(reference, "verdict allreduce")


def test_the_noise_levers_render_as_the_tools_table_and_an_absent_file_says_so(tmp_path):
    kept = ROOT / mkdocs_extra()["noise_levers"]
    rendered = reference_run.render_levers(kept)
    summary = json.loads((kept / "noise_levers_mlp.json").read_text())["summary"]
    for name, row in summary.items():
        assert f"| `{name}` |" in rendered
        assert f"| {row['median_ms']:.2f} | {row['between_process_cv']:.1%} |" in rendered
    assert "1 intra-op, 2 inter-op threads" in rendered  # the tool's own description of the lever
    assert reference_run.render_levers(tmp_path) == f"No noise-lever measurement is kept in `{tmp_path.name}/` yet."
    (tmp_path / "noise_levers_resnet20.json").write_text('{"summary": {}}')
    with pytest.raises(reference_run.LeversError, match="needs 'options' and 'summary'"):
        reference_run.render_levers(tmp_path)


def test_the_profiles_table_shows_each_profiles_settings_and_its_kept_run_or_none(reference, tmp_path):
    from bench_lib.suite import profiles

    def row(table: str, label: str) -> list[str]:
        line = next(line for line in table.splitlines() if line.startswith(f"| {label} |"))
        return [cell.strip() for cell in line.strip("|").split("|")][1:]

    table = reference_run.render_profiles(reference, tmp_path)
    assert row(table, "processes per timed configuration") == [
        str(profiles.PROFILES[name].processes) for name in ("quick", "nightly", "full")
    ]
    assert row(table, "seeds until decided (cap[:questions])") == [
        str(profiles.PROFILES[name].seeds_until_decided or "none") for name in ("quick", "nightly", "full")
    ]
    assert row(table, "seeds until decided (cap[:questions])")[2] == str(profiles.FULL.seeds_until_decided.cap)
    assert row(table, "its session's wall time") == [
        duration(reference.session_seconds),
        "not kept yet",
        "not kept yet",
    ]
    elsewhere = tmp_path / "another-machine-class"  # another machine's nightly run is not this one's
    elsewhere.mkdir()
    (elsewhere / "0001_nightly.json").write_bytes(reference.run.path.read_bytes())
    assert row(reference_run.render_profiles(reference, tmp_path), "kept run")[1] == "not kept yet"
    nightly = tmp_path / f"{reference.run.path.parent.name}-nightly"
    nightly.mkdir()
    (nightly / "0001_nightly.json").write_bytes(reference.run.path.read_bytes())
    kept = row(reference_run.render_profiles(reference, tmp_path), "kept run")[1]
    assert kept.startswith(f"{len(reference.run.benchmarks)} configurations: ")
    # a quick run kept as the nightly one timed each configuration once: its wall time is not the profile's
    assert kept.endswith(f"(timed in 1 process a configuration; the profile runs {profiles.NIGHTLY.processes})")
    assert "timed in" not in row(reference_run.render_profiles(reference, tmp_path), "kept run")[0]
    five = json.loads(reference.run.path.read_text())
    for bench in five["benchmarks"]:
        bench["extra_info"]["process_medians"] = [1.0] * 5
    (nightly / "0001_nightly.json").write_text(json.dumps(five))
    kept = row(reference_run.render_profiles(reference, tmp_path), "kept run")[1]
    assert kept.endswith(f"(timed in 5 processes a configuration; the profile runs {profiles.NIGHTLY.processes})")


def test_a_code_directive_renders_the_constant_the_code_uses():
    from bench_lib.analysis import timing_noise, verdict

    assert reference_run.render_code("bench_lib.analysis.timing_noise.RUN_ALPHA") == str(timing_noise.RUN_ALPHA)
    assert reference_run.render_code("bench_lib.analysis.verdict.MEMORY_FLOOR_MIB .0f") == format(
        verdict.MEMORY_FLOOR_MIB, ".0f"
    )
    assert reference_run.render_code("bench_lib.analysis.verdict.DEFAULT_THRESHOLDS.time .0f") == format(
        verdict.DEFAULT_THRESHOLDS["time"], ".0f"
    )
    assert reference_run.directives("{{ code bench_lib.x.Y }} {{ run glance }}", "code") == ["bench_lib.x.Y"]


@pytest.mark.parametrize(
    ("directive", "message"),
    [
        ("os.sep", "one dotted name under bench_lib"),
        ("bench_lib.analysis.timing_noise.NO_SUCH", "has no 'NO_SUCH'"),
        ("bench_lib.analysis.verdict.DEFAULT_THRESHOLDS.colour", "has no 'DEFAULT_THRESHOLDS.colour'"),
        ("bench_lib.analysis.verdict.DEFAULT_THRESHOLDS", "is a dict, not a number"),
        ("bench_lib.analysis.timing_noise.RUN_ALPHA .2q", "format '.2q'"),
    ],
)
def test_a_code_directive_the_code_cannot_answer_fails_naming_why(directive, message):
    with pytest.raises(DirectiveError, match=re.escape(message)):
        reference_run.render_code(directive)


def test_session_and_question_times_come_from_junit_xml(tmp_path):
    (tmp_path / "quick.junit.xml").write_text(
        '<testsuites><testsuite name="pytest" time="267.5">'
        '<testcase classname="benchmarks.test_batch_size" name="test_batch_size[a]" time="10.2"/>'
        '<testcase classname="benchmarks.test_batch_size" name="test_batch_size[b]" time="50.1"/>'
        "</testsuite></testsuites>"
    )
    seconds, session = reference_run._junit_seconds(tmp_path / "quick.junit.xml")
    assert session == 267.5
    assert seconds == {"benchmarks/test_batch_size.py::test_batch_size[a]": 10.2,
                       "benchmarks/test_batch_size.py::test_batch_size[b]": 50.1}  # fmt: skip


def test_every_directive_of_the_manual_renders_from_the_reference_run(reference):
    problems = []
    kept_root = ROOT / mkdocs_extra()["kept_runs"]
    for page in (ROOT / "docs").rglob("*.md"):
        uri = page.relative_to(ROOT / "docs").as_posix()
        for kept, directive in reference_run.run_directives(page.read_text()):
            try:
                run = reference if kept is None else reference_run.load_reference(
                    reference_run.kept_folder(kept_root, kept))  # fmt: skip
                render(run, directive, uri, kept)
                if directive.split()[0] == "plot":
                    reference_run.plot_png(run, directive.split()[1])
            except DirectiveError as error:
                problems.append(f"{uri}: {{{{ run{'@' + kept if kept else ''} {directive} }}}}: {error}")
        if reference_run.run_directives(page.read_text(), "levers"):
            try:
                reference_run.render_levers(ROOT / mkdocs_extra()["noise_levers"])
            except reference_run.LeversError as error:
                problems.append(f"{uri}: {{{{ levers }}}}: {error}")
        for directive in reference_run.directives(page.read_text(), "keras_check"):
            try:
                reference_run.render_keras_check(reference, ROOT / mkdocs_extra()["keras_check"], directive)
            except DirectiveError as error:
                problems.append(f"{uri}: {{{{ keras_check {directive} }}}}: {error}")
        for kept, directive in reference_run.run_directives(page.read_text(), "gate-check"):
            try:
                reference_run.render_gate_check(kept_root, kept, directive)
            except DirectiveError as error:
                problems.append(f"{uri}: {{{{ gate-check@{kept} {directive} }}}}: {error}")
        if reference_run.run_directives(page.read_text(), "profiles"):
            reference_run.render_profiles(reference, kept_root)
        for directive in reference_run.directives(page.read_text(), "code"):
            try:
                reference_run.render_code(directive)
            except DirectiveError as error:
                problems.append(f"{uri}: {{{{ code {directive} }}}}: {error}")
    assert not problems, "\n".join(problems)


def _collected(profile: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "benchmarks/", "--collect-only", "-q", "--bench-profile", profile],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=True,
    ).stdout  # fmt: skip
    return {line for line in out.splitlines() if line.startswith("benchmarks/")}


@pytest.mark.slow
def test_the_reference_run_measured_its_profiles_whole_grid(reference):
    """`make reference` regenerates the run when a question's grid changes; until then this fails."""
    measured = {b["fullname"] for b in _raw_benchmarks(reference)}
    measured |= set(reference.seconds)  # configurations the run skipped still ran their collection
    grid = _collected(reference.profile)
    assert not grid - measured, (
        f"the profile's grid has configurations the reference run lacks: {sorted(grid - measured)}"
    )
    assert not measured - grid, (
        f"the reference run has configurations the profile no longer runs: {sorted(measured - grid)}"
    )


def _raw_benchmarks(ref) -> list[dict]:
    import json

    return json.loads(ref.run.path.read_text())["benchmarks"]


# --- No hand-typed measured figure --------------------------------------------------------------------------

# A measured figure: a number with a unit of time, memory or speed, a ratio (`3.5×`; `2 × 2048` is a
# product), or an accuracy-like decimal.
MEASURED = re.compile(
    r"(?<![\w.`/#=-])(\d+(?:[.,]\d+)*(?:\s?(?:ms|s|min|h|MiB|GiB|KiB|%|ex/s|examples/s|pt)|×)(?![\w/])|0\.\d{2,}\b)"
)
NOT_PROSE = [
    re.compile(r"^(```|~~~).*?^\1", re.S | re.M),  # fenced code: commands and their arguments
    re.compile(r"`[^`\n]*`"),  # inline code
    reference_run.DIRECTIVE,  # figures rendered from the reference run
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"<!--.*?-->", re.S),
]


def manual_pages() -> list[Path]:
    return [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]


def hand_typed(text: str) -> list[str]:
    for pattern in NOT_PROSE:
        text = pattern.sub(" ", text)
    return [m.group(1) for m in MEASURED.finditer(text)]


def allowed_figures() -> tuple[dict[tuple[str, str], str], dict[str, int]]:
    """The allow-list: (page, figure) -> why for quoted papers and rules (page `*`: every page); page -> count
    for pages not yet converted."""
    exact, pending = {}, {}
    for line in ALLOWED_FIGURES.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        page, kind, figure, why = (part.strip() for part in line.split("|", 3))
        if kind == "pending":
            pending[page] = int(figure)
        elif kind in ("quoted", "rule", "example"):
            exact[(page, figure)] = why
        else:
            raise AssertionError(f"{ALLOWED_FIGURES.name}: kind={kind!r}; allowed: quoted, rule, example, pending")
    return exact, pending


def test_hand_typed_figure_detection():
    found = hand_typed("took 4 min 27 s and 0.912 accuracy, 3.5× faster, 58 MiB")
    assert found == ["4 min", "27 s", "0.912", "3.5×", "58 MiB"]
    assert hand_typed("`--fail-on time:5%` then\n```sh\nsleep 5s\n```\nand {{ run suite-time }}") == []
    assert hand_typed("batch 256, 3 seeds, 5 epochs, 2 × the multiply-adds, 32×32×3 images") == []


def test_the_manual_types_no_measured_figure_outside_its_allow_list():
    exact, pending = allowed_figures()
    problems = []
    for page in manual_pages():
        name = page.relative_to(ROOT).as_posix()
        figures = [f for f in hand_typed(page.read_text()) if (name, f) not in exact and ("*", f) not in exact]
        if name in pending:
            if len(figures) > pending[name]:
                problems.append(f"{name}: {len(figures)} hand-typed figures, {pending[name]} allowed; new: {figures}")
            elif len(figures) < pending[name]:
                problems.append(f"{name}: {len(figures)} hand-typed figures left: lower its pending count to that")
        elif figures:
            problems.append(f"{name}: hand-typed measured figures {figures}: write a {{{{ run … }}}} directive")
    held = {page.relative_to(ROOT).as_posix(): hand_typed(page.read_text()) for page in manual_pages()}
    everywhere = {figure for figures in held.values() for figure in figures}
    stale = [f"{page}: {figure!r}" for page, figure in exact if figure not in held.get(page, everywhere)]
    assert not problems, "\n".join(problems)
    assert not stale, f"allow-list entries no page holds any more: {stale}"


def rewrite_pending_counts() -> None:
    """Sets every pending count to what its page holds now: for merging pages edited elsewhere, never to
    let a page gain hand-typed figures."""
    exact, _ = allowed_figures()
    kept = [line for line in ALLOWED_FIGURES.read_text().splitlines() if "| pending |" not in line]
    while kept and not kept[-1].strip():
        kept.pop()
    kept.append("")
    for page in manual_pages():
        name = page.relative_to(ROOT).as_posix()
        figures = [f for f in hand_typed(page.read_text()) if (name, f) not in exact and ("*", f) not in exact]
        if figures:
            why = "typed by hand from earlier runs; replace with {{ run … }} directives"
            kept.append(f"{name} | pending | {len(figures)} | {why}")
    ALLOWED_FIGURES.write_text("\n".join(kept) + "\n")


if __name__ == "__main__":  # PYTHONPATH=. python tests/test_manual.py
    rewrite_pending_counts()


def test_the_compare_pages_worked_example_is_what_compare_prints(tmp_path):
    """docs/results/compare.md's example: its commands, run on the checked-in example run, print its lines."""
    page = (ROOT / "docs" / "results" / "compare.md").read_text()
    example = page[page.index("## An example") :]
    commands, shown = re.findall(r"^```(?:sh)?\n(.*?)^```", example, re.S | re.M)[:2]
    slow = tmp_path / "0002_slow.json"
    scale, compare = (line.split("#")[0].replace("/tmp/slow/0002_slow.json", str(slow)).split()
                      for line in commands.splitlines())  # fmt: skip
    assert scale[:2] == ["python", "tests/scaled_run.py"] and compare[:3] == ["python", "-m", "bench_lib"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's code, not an installed one
    subprocess.run([sys.executable, *scale[1:]], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    done = subprocess.run(
        [sys.executable, *compare[1:]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1, done.stderr
    printed = set(done.stdout.splitlines())
    missing = [line for line in shown.splitlines() if line.strip() and line != "…" and line not in printed]
    assert not missing, f"compare no longer prints these lines of the page's example: {missing}"


def test_the_gate_check_directive_renders_compares_table_for_two_kept_runs_and_names_a_bad_one(tmp_path):
    import scaled_run

    example = json.loads((ROOT / "reports" / "example" / "0001_example.json").read_text())
    for name, seed in (("aa1", 5), ("aa2", 6)):
        folder = tmp_path / f"class-{name}"
        folder.mkdir()
        data = scaled_run.scaled(example, 1.0, jitter=0.02, seed=seed, processes=5, pass_drift=0.005)
        (folder / f"0001_{name}.json").write_text(json.dumps(data))
    table = reference_run.render_gate_check(tmp_path, "aa1", "aa2 1.5").splitlines()
    assert table[0].startswith("| NEW's step times | timed benchmarks | called worse |")
    assert table[2].startswith("| as measured |") and "| 0 (0%) | 0 |" in table[2]
    assert table[3].startswith("| ×1.5 |") and "(100%)" in table[3]
    by_processes = reference_run.render_gate_check(tmp_path, "aa1", "aa2 1.5 processes=1,3").splitlines()
    assert by_processes[0].startswith("| processes per run | NEW's step times |")
    assert [row.split(" | ")[:2] for row in by_processes[2:]] == [
        ["| first 1", "as measured"],
        ["| first 1", "×1.5"],
        ["| first 3", "as measured"],
        ["| first 3", "×1.5"],
    ]
    with pytest.raises(DirectiveError, match="'0' is not a whole number >= 1"):
        reference_run.render_gate_check(tmp_path, "aa1", "aa2 1.1 processes=0")
    with pytest.raises(DirectiveError, match="hold a kept run saved as 'aa3'"):
        reference_run.render_gate_check(tmp_path, "aa1", "aa3 1.1")
    with pytest.raises(DirectiveError, match="two kept runs' save names and the factors"):
        reference_run.render_gate_check(tmp_path, "aa1", "aa2")
