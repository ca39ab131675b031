"""McCandlish et al. 2018's simple gradient noise scale from gradient norms at two batch sizes.

Pure functions: no TensorFlow, no I/O. With G the true (whole-distribution) gradient, Σ the
per-example gradient covariance and G_B the mean gradient of B random examples,
E|G_B|² = |G|² + tr(Σ)/B. Measuring |G_B|² at a small and a big batch size gives the
paper's unbiased estimators (their Appendix A.1)

    |G|²  ≈ (B_big |G_big|² − B_small |G_small|²) / (B_big − B_small)
    tr(Σ) ≈ (|G_small|² − |G_big|²) / (1/B_small − 1/B_big)

and B_simple = tr(Σ)/|G|². Each single estimate is very noisy (|G|²'s may even be negative),
so, as the paper does, each of the two is averaged over many measurements and the ratio is
taken of the averages, never the average of per-measurement ratios.

Batches drawn without replacement from a finite training set of N examples vary less than
independent draws: Var(G_B) = Σ/B · (N − B)/(N − 1), with Σ the covariance over the N
examples. Given population_size=N the two averaged estimates are corrected exactly for that:
the raw tr(Σ) estimate then has expectation tr(Σ)·N/(N − 1), and the raw |G|² estimate
|G|² − tr(Σ)/(N − 1) (a bias of B_simple/N relative to |G|², large for small data sets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class NoiseScaleEstimate:
    """trace_sigma and grad_norm_sq are averaged over `measurements`; noise_scale is their ratio.

    noise_scale is None when the averaged |G|² is not positive: the gradient signal is then
    below what the measurements can resolve (more measurements or a bigger B_big needed).
    """

    small_batch_size: int
    big_batch_size: int
    measurements: int
    trace_sigma: float
    grad_norm_sq: float
    noise_scale: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "small_batch_size": self.small_batch_size,
            "big_batch_size": self.big_batch_size,
            "measurements": self.measurements,
            "trace_sigma": self.trace_sigma,
            "grad_norm_sq": self.grad_norm_sq,
        }


def unbiased_terms(
    small_batch_size: int, big_batch_size: int, small_norm_sq: float, big_norm_sq: float
) -> tuple[float, float]:
    """(|G|², tr(Σ)) estimated from one pair of squared gradient norms.

    Raises:
      ValueError: the batch sizes are not 0 < small < big.
    """
    b_small, b_big = small_batch_size, big_batch_size
    if not 0 < b_small < b_big:
        raise ValueError(f"batch sizes ({b_small}, {b_big}) are not allowed: need 0 < small < big")
    grad_norm_sq = (b_big * big_norm_sq - b_small * small_norm_sq) / (b_big - b_small)
    trace_sigma = (small_norm_sq - big_norm_sq) / (1 / b_small - 1 / b_big)
    return grad_norm_sq, trace_sigma


def simple_noise_scale(
    small_batch_size: int,
    big_batch_size: int,
    norms_sq: Sequence[tuple[float, float]],
    *,
    population_size: int | None = None,
) -> NoiseScaleEstimate:
    """B_simple from many (|G_small|², |G_big|²) pairs: the ratio of the averaged estimators.

    population_size: the N examples batches were drawn from without replacement (None: an
    unlimited stream, no correction).

    Raises:
      ValueError: no pairs, batch sizes not 0 < small < big, or population_size < big.
    """
    if not norms_sq:
        raise ValueError("a noise scale needs at least one pair of gradient norms")
    if population_size is not None and population_size < big_batch_size:
        raise ValueError(f"population_size={population_size!r} is not allowed: at least the big batch size")
    terms = [unbiased_terms(small_batch_size, big_batch_size, s, b) for s, b in norms_sq]
    grad_norm_sq = sum(g for g, _ in terms) / len(terms)
    trace_sigma = sum(t for _, t in terms) / len(terms)
    if population_size is not None:
        n = population_size
        grad_norm_sq += trace_sigma / n
        trace_sigma *= (n - 1) / n
    return NoiseScaleEstimate(
        small_batch_size=small_batch_size,
        big_batch_size=big_batch_size,
        measurements=len(terms),
        trace_sigma=trace_sigma,
        grad_norm_sq=grad_norm_sq,
        noise_scale=trace_sigma / grad_norm_sq if grad_norm_sq > 0 else None,
    )
