"""Provides the measured critical batch beside the predicted one: B_crit fitted to steps-to-target, B_simple probed.

McCandlish et al. (2018, "An empirical model of large-batch training") find that the optimizer
steps S and the examples E = B·S needed to reach a target trade off as
(S/S_min − 1)(E/E_min − 1) = 1, i.e. S(B) = S_min (1 + B_crit / B), where the critical batch
B_crit = E_min / S_min is where doubling the batch stops halving the steps; and that the simple
gradient noise scale B_simple, measured in one training run, predicts it. This module fits the
first to every steps-to-target series the run's questions supply (bench_lib.analysis.supplied),
with an interval by bootstrap over the seeds (bench_lib.maths.inference.critical_batch), and sets
it beside the second, from the questions that supply a noise-scale estimate. Pure.
"""

from __future__ import annotations

from bench_lib.analysis.supplied import Supplied
from bench_lib.analysis.vocabulary import READINGS, Figure, interval_text
from bench_lib.maths import inference


def fit(series: list[tuple[int, Figure | None]]) -> inference.CriticalBatch | None:
    """The trade-off fitted to the batches that reached the target; None with fewer than three of them."""
    reached = {b: f.values or (f.mean,) for b, f in series if f is not None}
    if len(reached) < 3:
        return None
    try:
        return inference.critical_batch(reached)
    except (RuntimeError, ValueError):  # curve_fit found no fit
        return None


def fit_text(found: inference.CriticalBatch | None) -> str:
    """e.g. 'B_crit 120 [80, 190] (bootstrap over seeds, S_min 14 steps)'."""
    if found is None:
        return "no fit (fewer than three batch sizes reached the target)"
    interval = (
        f" [{found.ci95[0]:,.0f}, {found.ci95[1]:,.0f}] (95% bootstrap interval over seeds)"
        if found.ci95
        else " (one seed: no interval)"
    )
    return f"B_crit {found.b_crit:,.0f}{interval}, S_min {found.s_min:,.0f} steps"


def beside_noise_scale(supplied: Supplied) -> list[str]:
    """One sentence: B_crit of each steps-to-target series (tuned ones named so) beside the probe's B_simple."""
    predicted = supplied.estimates
    series: dict[str, list[tuple[int, Figure | None]]] = {}
    for targeted in supplied.targeted:
        found = targeted.series()
        series |= {f"tuned {name}".strip(): s for name, s in found.items()} if targeted.tuned else found
    if not series:
        return []
    measured = "; ".join((f"{name}: " if name else "") + fit_text(fit(s)) for name, s in series.items())
    fmt = READINGS["noise_scale"].fmt
    probe = (
        "; B_simple from the noise-scale probe: "
        + "; ".join(
            f"{interval_text(f, fmt)} for {spec.get('model')} at batch {spec.get('global_batch_size')}"
            for f, spec in predicted
        )
        if predicted
        else "; no noise-scale probe in this run to set beside it"
    )
    return [
        "critical batch (McCandlish et al.: (S/S_min − 1)(E/E_min − 1) = 1 fitted to steps-to-target, "
        f"B_crit = E_min / S_min): {measured}{probe}."
    ]
