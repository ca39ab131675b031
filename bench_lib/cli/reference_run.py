"""The `reference-run` command: keeps a saved run as its machine class's reference under reports/reference/.

`tfbench reference-run RUN` copies one saved run, under its saved name (NNNN_<name>.json), to
reports/reference/<class>/ (the class from its machine info: bench_lib.analysis.machines.machine_class, e.g.
`amd-epyc-avx512-bf16`) beside a README.md naming the machine, the profile, the command that
compares with it, and whether the run was measured under load (bench_lib.record.fingerprint's
rule). A run measured under load is kept only with --provisional, and its README says in its
first line that its timings are no reference. A class's folder holds one run: a new one replaces
it, so compare and machines call the run by its folder.
`--name NAME` keeps a run of another grid (another dataset, say) beside the class's reference, in
its own folder reports/reference/<class>-NAME/, so that compare still finds one run in each folder;
the manual renders figures from it by its save name (docs/reference-run.md).
Nothing here imports TensorFlow.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from bench_lib.analysis import machines
from bench_lib.record import fingerprint, history
from bench_lib.record.files import write_all_atomic
from bench_lib.record.history import SavedRun
from bench_lib.render import tables as report

RUN_HELP = "a saved run: a path, a folder, a glob, an NNNN counter or a save name in --storage"
PROVISIONAL = "**Provisional: measured under load. Its timings are no reference; compare accuracy and findings only.**"


def add_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "reference-run", help="keep a saved run as its machine class's reference under REPORTS/reference/"
    )
    parser.add_argument("run", metavar="RUN", help=RUN_HELP)
    parser.add_argument("--provisional", action="store_true", help="keep a run measured under load, labelled as such")
    parser.add_argument(
        "--name",
        help="keep it beside the class's reference run, in REPORTS/reference/<class>-NAME/: a run of another grid",
    )
    parser.add_argument("--storage", type=Path, default=Path(".benchmarks"), help="pytest-benchmark's storage folder")
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="where reports go (default reports/)")


def readme(run: SavedRun, folder: Path, load: str | None) -> str:
    """The README.md beside a kept run: what it is, where it ran, and how to compare with it."""
    facts = report.machine_rows(run.machine, run.commit, (b.result.get("replicas", 1) for b in run.benchmarks))
    beside = folder.name != machines.machine_class(run.machine)
    kept_as = "beside its machine class's reference run, a run of another grid" if beside else (
        "as the reference of its machine class")  # fmt: skip
    lines = [f"# Reference run: {folder.name}", ""]
    if load:
        lines += [PROVISIONAL, "", f"- {load}", ""]
    lines += [
        f"A saved run (`{run.name}.json`, saved {run.datetime[:16].replace('T', ' ')} UTC) kept {kept_as}, "
        "so that a run of another machine can be compared with it:",
        "",
        "```sh",
        f"tfbench compare {folder.as_posix()} NEW      # the summary per family and precision, then every row",
        f"tfbench machines {folder.as_posix()} NEW ...  # a performance profile of several machines",
        "```",
        "",
        "| | |",
        "|---|---|",
        *(f"| {label} | {value} |" for label, value in facts),
        f"| CPU precision flags | {', '.join(run.machine.get('cpu_precision_flags') or []) or 'not recorded'} |",
        f"| CPU family, model | {run.machine.get('cpu_family', '?')}, {run.machine.get('cpu_model_number', '?')} |",
        f"| configurations | {len(run.benchmarks)} |",
    ]
    return "\n".join(lines) + "\n"


def reference_run_command(
    selector: str,
    *,
    provisional: bool,
    storage: Path,
    reports: Path,
    name: str | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """Exit status 0 kept, 2 the run could not be used or was measured under load without --provisional."""
    if name is not None and not re.fullmatch(r"[a-z0-9][a-z0-9_]*", name):
        print(f"tfbench: error: --name={name!r} is not allowed: lower-case letters, digits and _", file=sys.stderr)
        return 2
    try:
        paths = history.resolve(selector, storage)
        if len(paths) > 1:
            raise history.HistoryError(
                f"RUN={selector!r} is not allowed: it names {len(paths)} runs; name one (a path or NNNN counter)"
            )
        run = history.load_run(paths[0])
    except history.HistoryError as error:
        print(f"tfbench: error: {error}", file=sys.stderr)
        return 2
    load = fingerprint.load_warning(run.name, run.machine)
    if load and not provisional:
        print(f"tfbench: error: {load}; keep it with --provisional, labelled, or rerun on a quiet machine",
              file=sys.stderr)  # fmt: skip
        return 2
    folder = reports / "reference" / (machines.machine_class(run.machine) + (f"-{name}" if name else ""))
    kept = folder / paths[0].name  # its saved name (NNNN_profile.json), as the manual's build reads it
    stale = [p for p in folder.glob("[0-9][0-9][0-9][0-9]_*.json") if p != kept]  # one run a folder
    write_all_atomic({kept: paths[0].read_bytes(), folder / "README.md": readme(run, folder, load)})
    for path in stale:
        path.unlink()
    say(f"kept {run.name} as {kept}" + (" (provisional: measured under load)" if load else ""))
    return 0
