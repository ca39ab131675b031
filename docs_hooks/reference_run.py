"""Renders the manual's measured figures, tables, plots and findings from the reference run at build time.

A page never types a measured number: it writes a directive, and this hook (mkdocs.yml `hooks:`)
replaces it with what the reference run holds, so a page cannot quote a figure the run does not
hold. The reference run is the folder mkdocs.yml names as `extra.reference_run`: one saved
pytest-benchmark run (`NNNN_<profile>.json`, raw rounds included) and, beside it, pytest's JUnit XML of the same
session (`*.junit.xml`, each configuration's wall time). `make reference` regenerates both.

Directives, `{{ run WHAT ARGS }}` outside code (inside code, and as `${{ … }}` in a CI workflow, they stay as
written):

- `fingerprint`: the machine and software the run measured, one line;
- `configurations [QUESTION]`: how many configurations the run holds (of one question);
- `suite-time [QUESTION]`: the wall time of the whole session (of one question's configurations);
- `question-times`: a table of each question's configurations and wall time;
- `value QUESTION/ID KEY [FORMAT]`: one result's value (KEY may be dotted: `step_time_ms.median`);
- `mean QUESTION/ID KEY [FORMAT]`: the mean over seeds with its 95% interval, `0.912 [0.897, 0.926] (n=3)`;
- `ratio QUESTION/ID QUESTION/ID KEY`: the first result's KEY over the second's, `2.4×`;
- `per-example QUESTION/ID KEY [FORMAT]`: KEY over the configuration's global batch (`flops_per_step`);
  FORMAT `si` (its default, and `value`'s too) prints 3 significant digits and a prefix, `244 M`;
- `spread QUESTION KEY [FORMAT]`: the median of KEY (dotted too) over a question's configurations, with its range;
- `table QUESTION`, `findings QUESTION…`, `glance`: the report's tables, sentences (of several questions as one
  list) and at-a-glance table;
- `saved QUESTION`: what a question saved in place of a result, as its report states it: a facts line (the
  largest batch's search) or tables (the all-reduce sweep and its share of the step);
- `plot QUESTION[-curves|-by-model|-steps-to-target]`: the report's plot, drawn into the built site.

`{{ run@NAME WHAT ARGS }}` answers the same from the kept run saved as NAME (`NNNN_NAME.json`, found
under mkdocs.yml `extra.kept_runs`, reports/reference by default): a run of another grid, such as
another dataset, saved with `--benchmark-save=NAME` and kept with `tfbench reference-run RUN --name
FOLDER`, which names only the folder beside the class's reference (`<class>-FOLDER`); the file keeps
its save name, which is the NAME run@ finds. Besides the glance table, a
question's row gives its cells one by one: `answer QUESTION`, `evidence QUESTION`, `verdict QUESTION`
(the verdict word of the code's rules, so a page never types one).

`{{ profiles }}` renders the profiles side by side: their settings from bench_lib.suite.profiles, and
the configurations and session time of each profile's kept run on the reference machine (the
reference run for its own profile, another the run saved under the profile's name in a folder of
the same machine class), or "not kept yet".

`{{ gate-check@BASE NEW FACTOR… [processes=K,…] }}` renders `tfbench gate-check`'s table for the kept runs saved
as BASE and NEW: how compare judges NEW as measured and with its timings multiplied by each factor (with
`processes=`, both runs cut to each configuration's first K processes, for each K, as `--processes` does).

`{{ levers }}` renders the noise-lever measurements kept in mkdocs.yml `extra.noise_levers`
(tools/dev/noise_levers.py's JSON, one file per workload) as the tool's tables;

`{{ keras_check QUESTION }}` sets the plain-Keras cross-check kept in mkdocs.yml `extra.keras_check`
(tools/dev/keras_crosscheck.py's JSON) beside the reference run's QUESTION results of the same
configuration, one row per batch size (bench_lib.analysis.crosscheck);

and `{{ code bench_lib.MODULE.NAME [FORMAT] }}` renders a constant the code uses (a judging rule's
α, floor or threshold: `{{ code bench_lib.analysis.timing_noise.RUN_ALPHA }}`), so a page states the rule the
code applies.

A directive the run cannot answer (an unknown question, id or key) ends the build with the page
and the directive named. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import functools
import glob
import importlib
import importlib.util
import json
import posixpath
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from bench_lib import questions
from bench_lib.analysis import crosscheck, gate_check, scaling, timing_noise, verdict
from bench_lib.analysis import findings as findings_rules
from bench_lib.analysis import glance as glance_rows
from bench_lib.analysis.findings import figure
from bench_lib.cli.saved_runs.gate_check import parse_processes
from bench_lib.config.wording import count, duration
from bench_lib.record import fingerprint, history
from bench_lib.record.history import SavedRun
from bench_lib.render import crosscheck_table, gate_check_table, plot_scaling, plots
from bench_lib.render import tables as report
from bench_lib.render.tables import Table, to_markdown

# `{{ run WHAT … }}` reads the reference run, `{{ run@NAME WHAT … }}` the kept run saved as NAME.
DIRECTIVE = re.compile(
    r"(?<!\$)\{\{\s*(?P<kind>run|code|levers|profiles|keras_check|gate-check)(?:@(?P<kept>[A-Za-z0-9_.-]+))?\s+(?P<directive>[^}]*?)\s*\}\}"
)
# Code shows a directive without rendering it: fenced blocks and inline code are matched first and kept.
_CODE_OR_DIRECTIVE = re.compile(
    r"(?P<fence>^(?P<tick>```|~~~).*?^(?P=tick))|(?P<span>`[^`\n]*`)|" + DIRECTIVE.pattern, re.S | re.M
)
PLOT_FOLDER = "img/run"


class DirectiveError(ValueError):
    """A directive the reference run cannot answer; the message names the directive and why."""


@dataclass(frozen=True)
class ReferenceRun:
    """The saved run and its session's per-configuration wall times (nodeid -> seconds, from JUnit XML)."""

    run: SavedRun
    seconds: dict[str, float]
    session_seconds: float | None

    @property
    def profile(self) -> str:
        return str(self.run.machine.get("tfbench_profile", "?"))

    def results(self, question: str | None = None) -> list[dict]:
        """The run's results as its report judges them (SavedRun.judged_results)."""
        return self.run.judged_results(question)

    @functools.cached_property
    def family(self) -> findings_rules.Family:
        """Every comparison of the run's findings, glance rows and papers side by side, judged together as its
        report judges them (bench_lib.questions.judged_family)."""
        return questions.judged_family(self.results())

    def questions(self) -> list[str]:
        asked = {b.question for b in self.run.benchmarks}
        known = [q.name for q in questions.all_questions() if q.name in asked]
        return known + sorted(asked - set(known))


def _junit_seconds(path: Path) -> tuple[dict[str, float], float | None]:
    """Each test case's wall time by pytest node id, and the session's, from pytest's JUnit XML."""
    root = ET.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    seconds = {}
    for case in suite.iter("testcase"):
        module = case.get("classname", "").replace(".", "/") + ".py"
        seconds[f"{module}::{case.get('name')}"] = float(case.get("time", 0))
    return seconds, float(suite.get("time")) if suite.get("time") else None


def load_reference(folder: Path) -> ReferenceRun:
    """Raises: DirectiveError when the folder does not hold exactly one saved run."""
    runs = sorted(folder.glob("[0-9][0-9][0-9][0-9]_*.json"))  # pytest-benchmark's NNNN_name.json
    if len(runs) != 1:
        raise DirectiveError(
            f"reference run folder {folder} holds {len(runs)} saved runs (NNNN_*.json); it must hold one"
        )
    junit = sorted(folder.glob("*.junit.xml"))
    seconds, session = _junit_seconds(junit[0]) if junit else ({}, None)
    return ReferenceRun(history.load_run(runs[0]), seconds, session)


def kept_folder(root: Path, name: str) -> Path:
    """The folder under root that holds the kept run saved as NAME (`NNNN_NAME.json`).

    Raises: DirectiveError when no folder, or more than one, holds it."""
    held = sorted({p.parent for p in root.rglob(f"[0-9][0-9][0-9][0-9]_{glob.escape(name)}.json")})
    if len(held) != 1:
        where = f": {', '.join(str(f) for f in held)}" if held else ""
        raise DirectiveError(f"{len(held)} folders under {root} hold a kept run saved as {name!r}{where}; one must")
    return held[0]


def fingerprint_line(ref: ReferenceRun) -> str:
    m = ref.run.machine
    flags = ", ".join(str(f).upper() for f in m.get("cpu_precision_flags") or []) or "no AVX2/FMA"
    gpus = ", ".join(m.get("gpu_names") or []) or "no GPU"
    memory = m.get("memory_total_mib")
    memory_text = f"{memory / 1024:.0f} GiB RAM" if isinstance(memory, (int, float)) else "RAM not recorded"
    loaded = fingerprint.load_warning("it", m)
    return (
        f"{m.get('cpu_model', '?')} ({flags}), {m.get('cpu_cores_logical', '?')} logical cores, {memory_text}, "
        f"{gpus}; TensorFlow {m.get('tensorflow', '?')}, Keras {m.get('keras', '?')}, "
        f"Python {m.get('python_version', '?')}, {m.get('system', '?')}; the `{ref.profile}` profile, "
        f"{len(ref.run.benchmarks)} configurations" + (f"; {loaded.removeprefix('it was ')}" if loaded else "")
    )


def _benchmark(ref: ReferenceRun, key: str) -> dict:
    found = ref.run.by_key().get(key)
    if found is None:
        raise DirectiveError(f"the reference run has no configuration {key!r} (QUESTION/ID, e.g. 'batch_size/<id>')")
    return found.result


def _lookup(result: dict, key: str) -> object:
    value: object = result
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise DirectiveError(f"the result has no key {key!r}")
        value = value[part]
    return value


def _held(result: dict, key: str) -> object:
    """KEY (dotted) of a result, or None where the result does not hold it."""
    try:
        return _lookup(result, key)
    except DirectiveError:
        return None


SI_PREFIXES = (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3))


def _formatted(value: object, fmt: str) -> str:
    """A number in Python's FORMAT, or with `si` in 3 significant digits and a prefix (`0.272 M` → `272 k`)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if fmt == "si":
            prefix, scale = next(((p, s) for p, s in SI_PREFIXES if abs(value) >= s), ("", 1.0))
            return f"{value / scale:.3g} {prefix}".rstrip()
        return format(value, fmt)
    return str(value)


def _per_example(ref: ReferenceRun, key: str, name: str, fmt: str = "si") -> str:
    """KEY of a configuration over its global batch: a step's FLOPs as FLOPs per example."""
    result = _benchmark(ref, key)
    value, batch = _lookup(result, name), result.get("global_batch_size")
    if not isinstance(value, (int, float)) or not isinstance(batch, int) or batch <= 0:
        raise DirectiveError(f"{name} of {key} over its global_batch_size is not a number over a batch")
    return _formatted(value / batch, fmt)


def _question(ref: ReferenceRun, name: str) -> str:
    if name not in ref.questions():
        raise DirectiveError(f"the reference run has no question {name!r}; it has {', '.join(ref.questions())}")
    return name


def _suite_time(ref: ReferenceRun, *args: str) -> str:
    if not args:
        if ref.session_seconds is None:
            raise DirectiveError("the reference run has no JUnit XML beside it, so no session time")
        return duration(ref.session_seconds)
    question = _question(ref, args[0])
    test = f"::test_{question}"  # a question is its test function, parametrized or not
    times = [s for nodeid, s in ref.seconds.items() if nodeid.endswith(test) or f"{test}[" in nodeid]
    if not times:
        raise DirectiveError(f"the reference run's JUnit XML has no configuration of {question!r}")
    return duration(sum(times))


def _question_times(ref: ReferenceRun) -> str:
    lines = ["| question | configurations | wall time |", "|---|---|---|"]
    for question in ref.questions():
        lines.append(
            f"| {report.question_title(question)} | {len(ref.results(question))} | {_suite_time(ref, question)} |"
        )
    return "\n".join(lines)


def _mean(ref: ReferenceRun, key: str, metric: str, fmt: str = ".3f") -> str:
    found = figure(_benchmark(ref, key), metric)
    if found is None:
        raise DirectiveError(f"{key} has no {metric!r}")
    if found.ci95 is None:
        return f"{format(found.mean, fmt)} (n=1)"
    low, high = (format(x, fmt) for x in found.ci95)
    return f"{format(found.mean, fmt)} [{low}, {high}] (n={found.n})"


def _spread(ref: ReferenceRun, question: str, key: str, fmt: str = ".3g") -> str:
    values = [v for r in ref.results(_question(ref, question)) if isinstance(v := _held(r, key), (int, float))]
    if not values:
        raise DirectiveError(f"no configuration of {question!r} holds {key!r}")
    values.sort()
    mid = len(values) // 2
    median = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
    low, high = format(values[0], fmt), format(values[-1], fmt)
    return f"{format(median, fmt)} ({low} to {high} over {len(values)} configurations)"


def _ratio(ref: ReferenceRun, top: str, bottom: str, key: str, fmt: str = ".2f") -> str:
    a, b = _lookup(_benchmark(ref, top), key), _lookup(_benchmark(ref, bottom), key)
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or not b:
        raise DirectiveError(f"{key} of {top} over {bottom} is not a ratio of two numbers")
    return f"{format(a / b, fmt)}×"


def _table(ref: ReferenceRun, question: str) -> str:
    tables = report.question_tables(ref.results(_question(ref, question)), question)
    return "\n\n".join(report.to_markdown(t) for t in tables)


def _saved(ref: ReferenceRun, name: str) -> str:
    """What a question saved in place of a training result (a search, a sweep), as its report states it:
    its facts line, else its tables."""
    question = next((q for q in questions.all_questions() if q.name == name), None)
    if question is None or (question.saved_facts is None and question.saved_tables is None):
        raise DirectiveError(f"no question {name!r} states facts or tables from what it saves")
    entries = question.saved(ref.run.extras)
    if not entries:
        raise DirectiveError(f"the reference run saved no entry of {name!r}")
    if question.saved_facts is not None:
        return "\n".join(question.saved_facts(entry)[1] for entry in entries)
    network = scaling.network(ref.run.machine.get("tfbench_cluster"))
    tables = question.saved_tables(entries, ref.results(), network)
    return "\n\n".join(report.to_markdown(report.rows_table(t)) for t in tables)


def _findings(ref: ReferenceRun, *names: str) -> str:
    """The findings of one question, or of several as one list (their verdicts' rule stated once)."""
    if not names:
        raise DirectiveError("findings takes one question or more")
    results = [r for name in names for r in ref.results(_question(ref, name))]
    sentences = findings_rules.findings(results, rules=questions.findings_rules(), family=ref.family)
    return "\n".join(f"- {s}" for s in sentences)


def _glance_cell(ref: ReferenceRun, question: str, cell: str) -> str:
    """One cell of a question's at-a-glance row: its answer, its evidence or its verdict word."""
    rows = glance_rows.glance(ref.results(), rules=questions.glance_rules(), family=ref.family)
    row = next((r for r in rows if r.question == _question(ref, question)), None)
    if row is None:
        raise DirectiveError(f"the run gives {question!r} no row at a glance")
    return getattr(row, cell)


def _glance(ref: ReferenceRun) -> str:
    rows = glance_rows.glance(ref.results(), rules=questions.glance_rules(), family=ref.family)
    return report.to_markdown(report.glance_table(row.as_row() for row in rows))


PlotDrawer = Callable[[str, str, list], bytes | None]
PLOT_KINDS: dict[str, PlotDrawer] = {
    "": plots.question_figure,
    "-curves": plots.curves_figure,
    "-by-model": plots.model_figure,
    "-steps-to-target": lambda question, title, results: plot_scaling.steps_to_target_png(results),
}


def plot_png(ref: ReferenceRun, name: str) -> bytes:
    """The report's plot `QUESTION[-curves|-by-model|-steps-to-target]` of the reference run."""
    for suffix, draw in sorted(PLOT_KINDS.items(), key=lambda kind: -len(kind[0])):
        if name.endswith(suffix):
            question = _question(ref, name.removesuffix(suffix) if suffix else name)
            png = draw(question, report.question_title(question), ref.results(question))
            if png is None:
                raise DirectiveError(f"the reference run's {question!r} results give no {name!r} plot")
            return png
    raise AssertionError("the empty suffix matches every name")


def plot_path(name: str, kept: str | None = None) -> str:
    """Where the built site holds a plot: img/run/NAME.png, or img/run/KEPT/NAME.png for a kept run's."""
    return f"{PLOT_FOLDER}/{kept}/{name}.png" if kept else f"{PLOT_FOLDER}/{name}.png"


def render(ref: ReferenceRun, directive: str, page_uri: str = "index.md", kept: str | None = None) -> str:
    """The text a directive stands for (kept: the save name of a kept run's `run@NAME`, which places
    its plots). Raises: DirectiveError naming what is wrong."""
    what, *args = directive.split()
    answers: dict[str, Callable[..., str]] = {
        "fingerprint": lambda: fingerprint_line(ref),
        "configurations": lambda *q: str(len(ref.results(_question(ref, q[0]) if q else None))),
        "suite-time": lambda *q: _suite_time(ref, *q),
        "question-times": lambda: _question_times(ref),
        "value": lambda key, name, fmt="": _formatted(_lookup(_benchmark(ref, key), name), fmt),
        "mean": lambda key, metric, fmt=".3f": _mean(ref, key, metric, fmt),
        "ratio": lambda top, bottom, key, fmt=".2f": _ratio(ref, top, bottom, key, fmt),
        "per-example": lambda key, name, fmt="si": _per_example(ref, key, name, fmt),
        "spread": lambda question, key, fmt=".3g": _spread(ref, question, key, fmt),
        "table": lambda question: _table(ref, question),
        "findings": lambda *names: _findings(ref, *names),
        "saved": lambda question: _saved(ref, question),
        "glance": lambda: _glance(ref),
        "answer": lambda question: _glance_cell(ref, question, "answer"),
        "evidence": lambda question: _glance_cell(ref, question, "evidence"),
        "verdict": lambda question: _glance_cell(ref, question, "verdict"),
        "plot": lambda name: (
            f"![{name}]({posixpath.relpath(plot_path(name, kept), posixpath.dirname(page_uri) or '.')})"
        ),
    }
    if what not in answers:
        raise DirectiveError(f"unknown directive {what!r}; allowed: {', '.join(answers)}")
    try:
        return answers[what](*args)
    except TypeError:
        raise DirectiveError(f"{what} does not take {len(args)} argument(s)") from None


def directives(markdown: str, kind: str = "run") -> list[str]:
    """The directives of one kind (`run` or `code`) of a page, outside code, the reference run's only for `run`."""
    return [directive for kept, directive in run_directives(markdown, kind) if kept is None or kind == "code"]


def run_directives(markdown: str, kind: str = "run") -> list[tuple[str | None, str]]:
    """Each directive of one kind outside code, with the kept run it names (`run@NAME`; None: the reference run)."""
    return [(m["kept"], m["directive"]) for m in _CODE_OR_DIRECTIVE.finditer(markdown) if m["kind"] == kind]


def render_code(directive: str) -> str:
    """The text of `{{ code bench_lib.MODULE.NAME[.KEY] [FORMAT] }}`: a constant of the code, formatted.

    The longest importable prefix of the dotted name is the module; the rest is an attribute, then
    keys of a mapping (`bench_lib.analysis.verdict.DEFAULT_THRESHOLDS.time`). Only bench_lib's modules
    are read. Raises: DirectiveError naming what is wrong."""
    name, *fmt = directive.split()
    if len(fmt) > 1 or not name.startswith("bench_lib."):
        raise DirectiveError(f"code takes one dotted name under bench_lib and an optional format, not {directive!r}")
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            value: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        break
    else:
        raise DirectiveError(f"no module of {name!r} can be imported")
    for part in parts[cut:]:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif not isinstance(value, Mapping) and hasattr(value, part):
            value = getattr(value, part)
        else:
            raise DirectiveError(f"{'.'.join(parts[:cut])} has no {'.'.join(parts[cut:])!r}")
    if not isinstance(value, (int, float, str)) or isinstance(value, bool):
        raise DirectiveError(f"{name} is a {type(value).__name__}, not a number or text")
    try:
        return _formatted(value, fmt[0] if fmt else "")
    except ValueError as error:
        raise DirectiveError(f"{name}: format {fmt[0]!r}: {error}") from None


# --- The profiles side by side: {{ profiles }} ---


def _threads(count: int | None) -> str:
    return "TensorFlow's choice" if count is None else str(count)


def _question_sizes(profile: str) -> str:
    """Whose sizes a profile's questions take: its own, or a default profile's but for those that declare their own."""
    from bench_lib import questions

    default = questions.registry.SIZES_DEFAULT_FROM.get(profile)
    own = questions.declaring_sizes(profile)
    return profile if default is None else default + (f"; their own for {', '.join(own)}" if own else "")


def profile_run(name: str, reference: ReferenceRun, kept_root: Path) -> ReferenceRun | None:
    """The kept run of a profile on the reference run's machine: the reference run if it is that profile's,
    else the run saved under the profile's name in a folder of the same machine class (`<class>` or
    `<class>-NAME`); None when none is kept. Raises: DirectiveError when several folders hold one."""
    if reference.profile == name:
        return reference
    machine_class = reference.run.path.parent.name
    held = sorted(
        {p.parent for p in kept_root.rglob(f"[0-9][0-9][0-9][0-9]_{glob.escape(name)}.json")}
        & {f for f in kept_root.iterdir() if f.name == machine_class or f.name.startswith(f"{machine_class}-")}
    )
    if len(held) > 1:
        raise DirectiveError(f"{len(held)} folders hold a kept {name!r} run of {machine_class}: {held}; keep one")
    return load_reference(held[0]) if held else None


def render_profiles(reference: ReferenceRun, kept_root: Path) -> str:
    """The profiles side by side: their settings from bench_lib.suite.profiles, and what a kept run of
    each measured (its configurations and session time), or that none is kept."""
    from bench_lib.suite import profiles

    shown = [profiles.PROFILES[name] for name in ("quick", "nightly", "full") if name in profiles.PROFILES]
    rows: list[tuple[str, list[str]]] = [
        ("question sizes", [_question_sizes(p.name) for p in shown]),
        ("dataset of the accuracy questions", [p.dataset for p in shown]),
        ("epochs", [str(p.epochs) for p in shown]),
        ("strategies", [", ".join(p.strategies) for p in shown]),
        ("strategies of the seeded accuracy questions",
         [", ".join(p.accuracy_strategies or p.strategies) for p in shown]),
        ("seeds of the seeded questions", [str(p.seeds_of_question()) for p in shown]),
        ("seeds until decided (cap[:questions])", [str(p.seeds_until_decided or "none") for p in shown]),
        ("processes per timed configuration", [str(p.processes) for p in shown]),
        ("intra-op / inter-op threads",
         [f"{_threads(p.intra_op_threads)} / {_threads(p.inter_op_threads)}" for p in shown]),
        ("CPUs", ["every CPU the session may use" if p.cpu_count is None else
                  f"the first {p.cpu_count} of those the session may use" for p in shown]),
    ]  # fmt: skip
    kept = [profile_run(p.name, reference, kept_root) for p in shown]
    rows.append(("kept run", [
        "not kept yet" if run is None else
        f"{len(run.run.benchmarks)} configurations: {_questions_of(run)}{_other_processes(run, p.processes)}"
        for run, p in zip(kept, shown, strict=True)
    ]))  # fmt: skip
    rows.append(("its session's wall time", [
        "not kept yet" if run is None else
        duration(run.session_seconds) if run.session_seconds is not None else "no JUnit XML kept"
        for run in kept
    ]))  # fmt: skip
    lines = ["| | " + " | ".join(f"`{p.name}`" for p in shown) + " |", "|---" * (len(shown) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    return "\n".join(lines)


def _questions_of(run: ReferenceRun) -> str:
    return ", ".join(run.questions())


def _other_processes(run: ReferenceRun, profile_processes: int) -> str:
    """Where the kept run timed its configurations in another number of processes than the profile now runs
    (it was saved with --bench-processes, or under another setting): that number, so its time is read as such."""
    saved = max((len(timing_noise.process_medians(b.result)) for b in run.run.benchmarks), default=0) or 1
    if saved == profile_processes:
        return ""
    return f" (timed in {count(saved, 'process', 'processes')} a configuration; the profile runs {profile_processes})"


# --- The kept noise-lever measurements: {{ levers }} ---

LEVERS_FILES = "noise_levers_*.json"
TOOL = Path(__file__).resolve().parents[1] / "tools" / "dev" / "noise_levers.py"


class LeversError(ValueError):
    """A kept file that is no noise_levers.py output; the message names the file and what is missing."""


def _lever_descriptions() -> dict[str, str]:
    """Each lever's description, from the tool that measures it (its names are the JSON's keys)."""
    spec = importlib.util.spec_from_file_location("_noise_levers_tool", TOOL)
    if spec is None or spec.loader is None:
        return {}
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return {name: lever[0] for name, lever in tool.LEVERS.items()}


def levers_table(path: Path, descriptions: dict[str, str] | None = None) -> str:
    """One kept file as a heading line with its `tfbench run` options, then the tool's table.

    Raises: LeversError when the file lacks the options or the summary the tool writes."""
    held = json.loads(path.read_text())
    if not isinstance(held, dict) or not isinstance(held.get("summary"), dict) or "options" not in held:
        raise LeversError(f"{path}: not a noise_levers.py --json file (it needs 'options' and 'summary')")
    descriptions = _lever_descriptions() if descriptions is None else descriptions
    processes = {row.get("processes") for row in held["summary"].values()}
    lines = [
        f"`tfbench run {' '.join(held['options'])}`, "
        f"{'/'.join(str(n) for n in sorted(processes))} processes a lever, levers interleaved:",
        "",
        "| lever | what it sets | median step, ms | between-process CV | throughput vs defaults | CPU s / wall s |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in held["summary"].items():
        cv = "-" if row.get("between_process_cv") is None else f"{row['between_process_cv']:.1%}"
        relative = "-" if row.get("relative_throughput") is None else f"{row['relative_throughput']:.2f}"
        lines.append(
            f"| `{name}` | {descriptions.get(name, name)} | {row['median_ms']:.2f} | {cv} | {relative} | "
            f"{row['cpu_over_wall']:.2f} |"
        )
    return "\n".join(lines)


def render_levers(folder: Path) -> str:
    """Every kept file of the folder, the wide MLP's first; a sentence when none is kept."""
    files = sorted(folder.glob(LEVERS_FILES), key=lambda p: (p.stem != "noise_levers_mlp", p.name))
    if not files:
        return f"No noise-lever measurement is kept in `{folder.name}/` yet."
    descriptions = _lever_descriptions()
    return "\n\n".join(levers_table(path, descriptions) for path in files)


# --- The plain-Keras cross-check: {{ keras_check QUESTION }} ---


def render_keras_check(ref: ReferenceRun, path: Path, directive: str) -> str:
    """The kept plain-Keras run beside the reference run's QUESTION results of the same configuration.

    Raises: DirectiveError naming what is wrong (no such question or file, a file of another shape,
    a batch size no single result of QUESTION trained)."""
    args = directive.split()
    if len(args) != 1:
        raise DirectiveError(f"keras_check takes one question, e.g. batch_size, not {directive!r}")
    results = ref.results(_question(ref, args[0]))
    if not path.is_file():
        raise DirectiveError(f"no plain-Keras cross-check is kept at {path} (tools/dev/keras_crosscheck.py --out)")
    try:
        held = json.loads(path.read_text())
        return crosscheck_table.crosscheck_markdown(crosscheck.cross_checks(results, held), held)
    except (ValueError, KeyError, TypeError) as error:
        raise DirectiveError(f"{path.name}: {error}") from None


@functools.cache
def _reference(folder: str) -> ReferenceRun:
    return load_reference(Path(folder))


def _folder(config: MkDocsConfig) -> Path:
    root = Path(config.config_file_path).parent
    name = config.extra.get("reference_run")
    if not name:
        raise PluginError("mkdocs.yml names no extra.reference_run (the folder of the manual's reference run)")
    return root / name


def kept_runs_root(config: MkDocsConfig) -> Path:
    """The folder mkdocs.yml names as `extra.kept_runs`, searched for `run@NAME`'s run (default: reports/reference)."""
    return Path(config.config_file_path).parent / config.extra.get("kept_runs", "reports/reference")


def levers_folder(config: MkDocsConfig) -> Path:
    """The folder mkdocs.yml names as `extra.noise_levers`, of tools/dev/noise_levers.py's kept files."""
    name = config.extra.get("noise_levers")
    if not name:
        raise PluginError("mkdocs.yml names no extra.noise_levers (the folder of the kept noise-lever files)")
    return Path(config.config_file_path).parent / name


def keras_check_file(config: MkDocsConfig) -> Path:
    """The file mkdocs.yml names as `extra.keras_check`, tools/dev/keras_crosscheck.py's kept JSON."""
    name = config.extra.get("keras_check")
    if not name:
        raise PluginError("mkdocs.yml names no extra.keras_check (the kept plain-Keras cross-check file)")
    return Path(config.config_file_path).parent / name


def run_of(config: MkDocsConfig, kept: str | None) -> ReferenceRun:
    """The reference run, or the kept run saved as `kept`. Raises: DirectiveError when no single run is."""
    return _reference(str(_folder(config) if kept is None else kept_folder(kept_runs_root(config), kept)))


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Draws every plot a page asks for into the built site, so its image link resolves in the strict build."""
    wanted = set()
    for file in files.documentation_pages():
        if file.abs_src_path is None:  # a page generated from the code holds no directive
            continue
        for kept, directive in run_directives(Path(file.abs_src_path).read_text(encoding="utf-8")):
            what, *args = directive.split()
            if what == "plot" and args:
                wanted.add((kept or "", args[0]))
    for kept, name in sorted(wanted):
        try:
            png = plot_png(run_of(config, kept or None), name)
        except DirectiveError as error:
            raise PluginError(f"{{{{ run{'@' + kept if kept else ''} plot {name} }}}}: {error}") from None
        files.append(File.generated(config, plot_path(name, kept or None), content=png))
    return files


# --- Two kept runs of one machine, judged as the regression gate judges them: {{ gate-check@BASE NEW … }} ---


def render_gate_check(kept_root: Path, base_name: str | None, directive: str) -> str:
    """`{{ gate-check@BASE NEW FACTOR… [processes=K,…] }}`: tfbench gate-check's table for the kept runs saved
    as BASE and NEW (with processes=, judged on each configuration's first K processes, for each K)."""
    new_name, *words = directive.split()
    counts = [w.removeprefix("processes=") for w in words if w.startswith("processes=")]
    factor_texts = [w for w in words if not w.startswith("processes=")]
    if base_name is None or not factor_texts:
        raise DirectiveError(
            "write {{ gate-check@BASE NEW FACTOR ... [processes=K,...] }}: two kept runs' save names and the factors"
        )
    try:
        factors = tuple(float(f) for f in factor_texts)
        processes = parse_processes(",".join(counts))
    except ValueError as error:
        raise DirectiveError(f"{' '.join(words)!r}: factors are numbers > 1, e.g. 1.1 1.2 ({error})") from None
    base_path, new_path = (_kept_run_file(kept_root, name) for name in (base_name, new_name))
    runs = gate_check.Pair(history.read_data(base_path), base_path, history.read_data(new_path), new_path)
    checks = gate_check.check(runs, factors, verdict.parse_thresholds(""), processes)
    return to_markdown(Table("", gate_check_table.header(checks), gate_check_table.rows(checks)))


def _kept_run_file(kept_root: Path, name: str) -> Path:
    [path] = kept_folder(kept_root, name).glob(f"[0-9][0-9][0-9][0-9]_{glob.escape(name)}.json")
    return path


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    def replace(match: re.Match) -> str:
        if match["directive"] is None:
            return match.group(0)
        try:
            if match["kind"] == "code":
                return render_code(match["directive"])
            if match["kind"] == "levers":
                return render_levers(levers_folder(config))
            if match["kind"] == "keras_check":
                return render_keras_check(run_of(config, None), keras_check_file(config), match["directive"])
            if match["kind"] == "gate-check":
                return render_gate_check(kept_runs_root(config), match["kept"], match["directive"])
            if match["kind"] == "profiles":
                return render_profiles(run_of(config, None), kept_runs_root(config))
            return render(run_of(config, match["kept"]), match["directive"], page.file.src_uri, match["kept"])
        except (DirectiveError, LeversError) as error:
            raise PluginError(f"{page.file.src_uri}: {match.group(0)}: {error}") from None

    return _CODE_OR_DIRECTIVE.sub(replace, markdown)
