"""Renders the comparison of machines as Markdown from ratios already computed (bench_lib.analysis.machines)."""

from __future__ import annotations

from collections.abc import Sequence

from bench_lib.analysis.machines import FindingPair, LogRatio, MachineSummary, PerformanceProfile, PrecisionSpeedup
from bench_lib.config.wording import count
from bench_lib.render.tables import Table, to_markdown


def ratio_cell(ratio: LogRatio | None) -> str:
    """e.g. '1.92× [1.85, 1.99]'; '1.92× (no interval)' without rounds; '-' for none."""
    if ratio is None:
        return "-"
    interval = ratio.interval
    if interval is None:
        return f"{ratio.ratio:.2f}× (no interval)"
    return f"{ratio.ratio:.2f}× [{interval[0]:.2f}, {interval[1]:.2f}]"


def summary_markdown(
    base_name: str, new_name: str, summary: MachineSummary, findings: Sequence[FindingPair],
    speedups: Sequence[tuple[str, Sequence[PrecisionSpeedup]]] = (),
) -> str:  # fmt: skip
    """The purchase question first: NEW over BASE per family and precision, their geometric means, the findings."""
    lines = [
        f"# Machines: {new_name} over {base_name}",
        "",
        "Throughput is NEW's examples/s over BASE's (above 1: NEW is faster), with a 95 % interval from each "
        "run's own rounds (Welch's t on log step times); step memory is NEW's step peak over BASE's (below 1: "
        "NEW needs less), one value per run, so no interval. Each family counts once in the geometric mean.",
        "",
    ]
    if not summary.families:
        lines += ["No configuration of a question that times steps ran ok in both runs.", ""]
    else:
        rows = [
            (f.family, f.precision, str(f.configurations), ratio_cell(f.throughput), ratio_cell(f.memory))
            for f in summary.families
        ]
        for precision, mean in summary.throughput_by_precision.items():
            memory = summary.memory_by_precision.get(precision)
            families = sum(f.precision == precision for f in summary.families)
            mean_of = f"**geometric mean** ({count(families, 'family', 'families')})"
            rows.append((mean_of, precision, "", f"**{ratio_cell(mean)}**", ratio_cell(memory)))
        header = ("family", "precision", "configurations", "throughput NEW/BASE [95% CI]", "step memory NEW/BASE")
        lines += [to_markdown(Table("", header, rows)), ""]
        if summary.unmatched:
            lines += [f"{count(summary.unmatched, 'configuration')} ran in one run only and are left out.", ""]
    for name, found in speedups:
        if found:
            lines += [to_markdown(speedup_table(found, f"{name}: mixed precision over float32")), ""]
    if findings:
        rows = [(p.question, p.base, p.new, p.call) for p in findings]
        lines += [to_markdown(Table("The findings on both machines", ("question", "base", "new", "call"), rows)), ""]
    return "\n".join(lines) + "\n"


def speedup_table(found: Sequence[PrecisionSpeedup], title: str = "mixed precision over float32") -> Table:
    """Each mixed-precision configuration's throughput over its float32 twin's, and its skipped steps."""
    rows = [(s.id, s.precision, ratio_cell(s.speedup), _skipped(s.loss_scale_skipped_steps)) for s in found]
    header = ("configuration", "precision", "speed-up over float32 [95% CI]", "loss-scale skipped steps")
    return Table(title, header, rows)


def _skipped(steps: int | None) -> str:
    return "-" if steps is None else str(steps)


def profile_table(profile: PerformanceProfile) -> Table:
    """Each problem's throughput ratio (fastest over this machine's) per machine: 1.00 marks the fastest."""
    rows = [
        (family, precision, *(f"{profile.ratios[m][p]:.2f}" for m in range(len(profile.machines))))
        for p, (family, precision) in enumerate(profile.problems)
    ]
    return Table("slowdown against the fastest machine (1.00: fastest)", ("family", "precision", *profile.machines),
                 rows)  # fmt: skip
