"""A question is its module: a toy question declared outside bench_lib reaches every reader, nothing else edited.

Its module (tests/toy_question/) declares sizes (its nightly ones too), an option, an extra
column, a findings rule, a glance row, an entry it saves in place of a result (with a table and a
facts line), a result key, a manual page, a paper it reproduces and an input to other questions'
sentences (steps-to-target series, which the critical batch across questions is fitted to). The
suite runs its grid with the option and saves a run; each profile's grid takes the sizes it
declares for that profile; history, report, glance, findings, the papers side by side, the
sentences across questions, compare, the result-keys reference and the manual's build all show it.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench_lib import questions
from bench_lib.analysis.family import Family
from bench_lib.cli.main import main
from bench_lib.record import history
from bench_lib.render import question_index, result_keys
from bench_lib.suite import profiles

ROOT = Path(__file__).resolve().parents[1]
TOY = Path(__file__).resolve().parent / "toy_question"


@pytest.fixture(scope="module")
def toy_folder(tmp_path_factory) -> Path:
    """The toy question's files, copied where nothing of the repository is."""
    folder = tmp_path_factory.mktemp("toy")
    for name in ("toy_question.py", "toy_plugin.py"):
        shutil.copy(TOY / name, folder / name)
    shutil.copy(TOY / "toy_benchmark.py", folder / "test_toy.py")  # not collected from tests/ itself
    return folder


@pytest.fixture(scope="module")
def toy(toy_folder):
    spec = importlib.util.spec_from_file_location("toy_question", toy_folder / "toy_question.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with questions.QUESTIONS.added(module.QUESTION):
        yield module.QUESTION
    assert questions.find("toy") is None


@pytest.fixture(scope="module")
def saved(toy_folder) -> Path:
    """The toy's suite run with --bench-toy-points 1,3, saved by pytest-benchmark."""
    storage = toy_folder / "storage"
    command = [sys.executable, "-m", "pytest", "-p", "toy_plugin", "-p", "bench_lib.suite", "test_toy.py", "-q",
               "-p", "no:cacheprovider", "--bench-strategies", "one_device", "--bench-toy-points", "1,3",
               f"--benchmark-storage=file://{storage}", "--benchmark-save=toy"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(toy_folder), str(ROOT)]), "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(command, cwd=toy_folder, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (path,) = storage.glob("*/*.json")
    return path


@pytest.mark.slow  # a suite run in a fresh process, or the manual's build
def test_its_option_reaches_its_grid_and_history_reads_its_results_and_saved_entry(toy, saved):
    run = history.load_run(saved)
    assert sorted(b.id for b in run.benchmarks) == ["one_device-bs24-acc1-mlp-adam", "one_device-bs8-acc1-mlp-adam"]
    assert {b.question for b in run.benchmarks} == {"toy"} and not run.skipped
    assert run.extras == {"toy": ({"toy_trace": [1, 3]},)}
    assert toy.saved(run.extras) == [{"toy_trace": [1, 3]}]


@pytest.mark.slow  # a suite run in a fresh process, or the manual's build
def test_its_report_has_its_section_column_table_facts_findings_and_glance_row(toy, saved, tmp_path):
    assert main(["report", str(saved), "--out", str(tmp_path)]) == 0
    text = (tmp_path / "report.md").read_text()
    assert "| toy trace | 1, 3 |" in text, "its facts line"
    assert "| The toy answers by its own rule. | 2 configurations | estimate |" in text, "its glance row"
    assert "- toy: 2 configurations counted by the toy rule." in text, "its findings rule"
    section = text.split("## A toy question")[1]
    assert "| toy figure | status |" in section and "| 3.0 | ok |" in section, "its column"
    assert "**toy trace**" in section and "| toy point |" in section, "its table from the saved entry"
    assert "- critical batch (McCandlish et al.: " in text, "its steps-to-target series, across questions"
    papers = (tmp_path / "papers.md").read_text()
    assert "| Toy et al. | the toy grows with the batch | 2 configurations | undecided |" in papers, "its paper"


@pytest.mark.slow  # a suite run in a fresh process, or the manual's build
def test_compare_matches_its_configurations(toy, saved, tmp_path):
    again = saved.with_name("0002_again.json")
    shutil.copy(saved, again)
    assert main(["compare", str(saved), str(again), "--reports", str(tmp_path)]) == 0
    (written,) = tmp_path.glob("compare-*.md")
    assert "toy/one_device-bs24-acc1-mlp-adam" in written.read_text()


def test_each_profile_runs_its_grid_at_the_sizes_it_declares_for_that_profile(toy, toy_folder):
    spec = importlib.util.spec_from_file_location("toy_grid", toy_folder / "test_toy.py")
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    batches = {name: [f["global_batch_size"] for f in benchmark.grid(p) if f["strategy"] == "one_device"]
               for name, p in profiles.PROFILES.items()}  # fmt: skip
    assert batches == {"quick": [8, 16], "full": [8, 16, 32], "nightly": [16]}


def _toy_result(batch, steps):
    spec = {"strategy": "one_device", "model": "mlp", "global_batch_size": batch, "target_accuracy": 0.5}
    return {"question": "toy", "status": "ok", "spec": spec, "test_accuracy": 0.5, "steps_to_target": steps}


def test_its_paper_row_and_its_series_reach_the_papers_and_the_sentences_across_questions(toy):
    results = [_toy_result(8, 400.0), _toy_result(16, 220.0), _toy_result(32, 130.0), _toy_result(64, 95.0)]
    rows = questions.papers_side_by_side({"toy": results}, Family())
    assert {r.paper for r in rows} == {"Toy et al."}, "only its own paper: no other question was measured"
    assert rows[0].measured == "4 configurations" and rows[1].measured.startswith("0.500 (n=1) at batch 8 → ")
    [sentence] = questions.cross_findings(results)
    assert sentence.startswith("critical batch (McCandlish et al.: ") and "B_crit " in sentence, sentence
    assert "no noise-scale probe in this run" in sentence
    assert questions.cross_findings([{**r, "status": "failed"} for r in results]) == [], "ok results only"


def test_its_result_key_and_its_rows_in_the_question_tables(toy):
    assert "| `toy_figure` | The toy question's own figure" in result_keys.result_keys_markdown()
    assert (
        "| `test_toy.py` | [What does the toy answer?](toy.md) | `mlp`, points 1, 2 |" in question_index.index_table()
    )
    assert "| [Toy](docs/questions/toy.md): what does the toy answer? |" in question_index.readme_table()


@pytest.mark.slow  # a suite run in a fresh process, or the manual's build
def test_the_manual_builds_with_its_page_in_the_navigation(toy, tmp_path):
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    (docs / "questions" / "toy.md").write_text("# Toy\n\nWhat the toy answers.\n")
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    config = load_config(str(ROOT / "mkdocs.yml"), docs_dir=str(docs), site_dir=str(tmp_path / "site"), strict=True)
    build(config)
    assert (tmp_path / "site" / "questions" / "toy" / "index.html").is_file()
    index = (tmp_path / "site" / "questions" / "index.html").read_text()
    assert 'href="../toy/"' in index or 'href="toy/"' in index
    json.dumps(config.nav)  # the navigation stays plain data
    assert {"Toy": "questions/toy.md"} in next(e["Questions"] for e in config.nav if "Questions" in e)
