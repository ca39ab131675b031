"""Generates the manual's reference pages at build time from the code that defines them, so they cannot drift.

MkDocs calls on_files (mkdocs.yml `hooks:`); it adds, as pages that exist only in the built site:
- reference/suite-options.md from the suite's pytest_addoption and the profiles' values;
- reference/cli.md from the command line's argparse parser;
- reference/result-keys.md from the metric registry (bench_lib.render.result_keys);
- reference/fingerprint.md from the machine facts compare and trend read (bench_lib.record.fingerprint).
Nothing here imports TensorFlow.
"""

from __future__ import annotations

import argparse

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from bench_lib.cli.arguments import command_line
from bench_lib.suite import options as suite_options
from bench_lib.suite.profiles import PROFILES

GENERATED_NOTE = "*This page is generated from the code when the manual is built.*\n"
MAX_USAGE_LINES = 4


def on_files(files: Files, config: MkDocsConfig) -> Files:
    pages = {
        "reference/suite-options.md": suite_options_page(),
        "reference/cli.md": cli_page(command_line()),
        "reference/result-keys.md": result_keys_page(),
        "reference/fingerprint.md": fingerprint_page(),
    }
    for uri, text in pages.items():
        files.append(File.generated(config, uri, content=text))
    return files


def _cell(text: object) -> str:
    """Text that stays inside one Markdown table cell."""
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def _value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, tuple):
        return ", ".join(f"`{v}`" for v in value)
    return f"`{value}`"


class _OptionRecorder:
    """Stands in for pytest's parser: records what pytest_addoption adds, in order."""

    def __init__(self) -> None:
        self.added: list[tuple[str, dict[str, object]]] = []

    def getgroup(self, name: str) -> _OptionRecorder:
        return self

    def addoption(self, name: str, **kwargs: object) -> None:
        self.added.append((name, kwargs))


def _profile_defaults(name: str) -> dict[str, str]:
    """Each profile's value of the fields an option sets ({} for options that set none)."""
    row = next((o for o in suite_options.all_options() if o.name == name), None)
    if row is None or not row.fields:
        return {}
    return {profile: _value(p.value(row.fields[0])) for profile, p in PROFILES.items()}


def suite_options_page() -> str:
    recorder = _OptionRecorder()
    suite_options.pytest_addoption(recorder)
    names = list(PROFILES)
    lines = [
        "# Suite options",
        "",
        GENERATED_NOTE,
        "The `--bench-*` options of `pytest benchmarks/`. An option left out takes the value of the "
        "profile `--bench-profile` chooses (the columns on the right); `—` means the option has no "
        "profile value (see its meaning). A bad value ends the session with one line naming the option "
        "and the value, before TensorFlow starts. pytest-benchmark's saving options (`--benchmark-save`, "
        "`--benchmark-json`, …) work as usual; those that size its rounds or compare runs are refused, naming "
        "the option that does their job ([the suite page](../running/suite.md)). Under `full`, the dataset is "
        "`mnist` instead when Keras's `mnist.npz` is in its cache.",
        "",
        "| option | meaning | " + " | ".join(f"`{n}` profile" for n in names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for name, kwargs in recorder.added:
        defaults = _profile_defaults(name)
        if name == "--bench-profile":
            defaults = dict.fromkeys(names, "—")
        elif kwargs.get("action") == "store_true":
            defaults = dict.fromkeys(names, "off")
        cells = [defaults.get(n, "—") for n in names]
        lines.append(f"| `{name}` | {_cell(kwargs.get('help', ''))} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _option_row(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    if action.option_strings:
        name = ", ".join(f"`{o}`" for o in action.option_strings)
        if action.metavar:  # only a metavar the parser chose says more than the option's name
            name += f" `{action.metavar}`"
    else:
        name = f"`{action.metavar or action.dest}`" + (" …" if action.nargs in ("*", "+") else "")
    help_text = parser._get_formatter()._expand_help(action) if action.help else ""
    return f"| {name} | {_cell(help_text)} |"


def cli_page(parser: argparse.ArgumentParser) -> str:
    lines = ["# Command line", "", GENERATED_NOTE, f"`{parser.prog}` has these commands:", ""]
    commands = _subparser_action(parser)
    subcommands = dict(commands.choices)
    helps = {a.dest: a.help for a in commands._choices_actions}
    lines += [f"- [`{name}`](#{name}): {helps.get(name, '')}" for name in subcommands]
    for name, sub in subcommands.items():
        usage = sub.format_usage().strip()
        if usage.count("\n") > MAX_USAGE_LINES:  # run's dozens of options: the table lists them
            usage = f"usage: {sub.prog} [options]"
        lines += ["", f"## {name}", "", "```", usage, "```", ""]
        if sub.description:
            lines += [sub.description, ""]
        lines += ["| option | meaning |", "|---|---|"]
        lines += [_option_row(sub, a) for a in sub._actions if a.help != argparse.SUPPRESS and a.dest != "help"]
    return "\n".join(lines) + "\n"


def _subparser_action(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def result_keys_page() -> str:
    """The page bench_lib.render.result_keys renders from the metric registry, with the generated-page note."""
    from bench_lib.render.result_keys import result_keys_markdown

    title, _, body = result_keys_markdown().partition("\n\n")
    return f"{title}\n\n{GENERATED_NOTE}\n{body}"


def fingerprint_page() -> str:
    """The machine facts a saved run records and what compare and trend do with each group."""
    from bench_lib.record import fingerprint

    groups = (
        ("hardware", fingerprint.HARDWARE_KEYS, "compare names each difference; trend keeps only the newest run's"),
        ("software", fingerprint.SOFTWARE_KEYS, "compare names each difference; trend's runs table shows them"),
        ("set-up", fingerprint.SETUP_KEYS, "compare names each difference; trend keeps only the newest run's"),
    )
    lines = [
        "# Fingerprint facts",
        "",
        GENERATED_NOTE,
        "The `machine_info` keys of a saved run that say where and with what it was measured. A fact one of "
        "two runs did not record is not compared.",
        "",
        "| group | keys | used by |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {', '.join(f'`{k}`' for k in keys)} | {use} |" for name, keys, use in groups]
    lines += [
        "",
        f"A run counts as measured under load when other processes kept {fingerprint.LOAD_PER_CORE:g} of a core "
        "busy per logical core while it ran; compare and trend then warn that its timings may be slow.",
    ]
    return "\n".join(lines) + "\n"
