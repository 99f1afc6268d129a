"""NPS arithmetic (pure): classification, the score, its 95% confidence interval, response rate, trends.

NPS = %promoters (9-10) - %detractors (0-6), in points from -100 to +100.

Confidence interval: each answer is +1 (promoter), 0 (passive) or -1 (detractor); NPS/100 is the mean of
that trinomial variable, whose variance per answer is p_P + p_D - (p_P - p_D)^2. The plain Wald interval
``NPS +/- z * sqrt(var / n)`` collapses to a single point when every answer falls in one class (10 promoters
out of 10 gives [100, 100]) and is too narrow for small n. We therefore use the *adjusted Wald* interval
(Rocks 2016, The American Statistician), which had the best coverage among the methods compared there: add
3/4 of an answer to the promoters and to the detractors and 3 to n, then apply the Wald formula. The interval
is centred on the adjusted estimate (slightly pulled towards 0), and clipped to [-100, 100].
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal
ADJUSTED_WALD_PSEUDO_COUNT = 0.75  # added to promoters and to detractors
ADJUSTED_WALD_EXTRA_N = 3.0  # added to n (the passives get the remaining 1.5)
PROMOTER_MIN = 9
DETRACTOR_MAX = 6


def classify(score: int) -> str:
    if not 0 <= score <= 10:
        raise ValueError(f"an NPS score is a whole number from 0 to 10, got {score!r}")
    if score >= PROMOTER_MIN:
        return "promoter"
    if score <= DETRACTOR_MAX:
        return "detractor"
    return "passive"


@dataclass(frozen=True, slots=True)
class NpsCounts:
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    declined: int = 0
    abandoned: int = 0
    throttled: int = 0

    @property
    def responses(self) -> int:
        """Answered surveys (with a score)."""
        return self.promoters + self.passives + self.detractors

    def __add__(self, other: NpsCounts) -> NpsCounts:
        return NpsCounts(*(a + b for a, b in zip(_fields(self), _fields(other), strict=True)))


def _fields(counts: NpsCounts) -> tuple[int, ...]:
    return (counts.promoters, counts.passives, counts.detractors, counts.declined, counts.abandoned,
            counts.throttled)


def counts_from_scores(scores: Iterable[int]) -> NpsCounts:
    tally = {"promoter": 0, "passive": 0, "detractor": 0}
    for score in scores:
        tally[classify(score)] += 1
    return NpsCounts(promoters=tally["promoter"], passives=tally["passive"], detractors=tally["detractor"])


def net_promoter_score(counts: NpsCounts) -> float | None:
    """In points (-100..100); None without answers."""
    n = counts.responses
    if n == 0:
        return None
    return 100.0 * (counts.promoters - counts.detractors) / n


def _wald(promoters: float, detractors: float, n: float, z: float) -> tuple[float, float]:
    p_promoter, p_detractor = promoters / n, detractors / n
    centre = p_promoter - p_detractor
    variance = (p_promoter + p_detractor - centre**2) / n
    half_width = z * math.sqrt(max(variance, 0.0))
    return max(-100.0, 100.0 * (centre - half_width)), min(100.0, 100.0 * (centre + half_width))


def wald_interval(counts: NpsCounts, z: float = Z_95) -> tuple[float, float] | None:
    """Plain Wald interval in NPS points (for comparison; degenerate at 0% or 100%)."""
    n = counts.responses
    return None if n == 0 else _wald(counts.promoters, counts.detractors, n, z)


def adjusted_wald_interval(counts: NpsCounts, z: float = Z_95) -> tuple[float, float] | None:
    """Adjusted Wald interval in NPS points: +3/4 promoter, +3/4 detractor, +3 to n; clipped to [-100, 100]."""
    n = counts.responses
    if n == 0:
        return None
    return _wald(counts.promoters + ADJUSTED_WALD_PSEUDO_COUNT, counts.detractors + ADJUSTED_WALD_PSEUDO_COUNT,
                 n + ADJUSTED_WALD_EXTRA_N, z)


def adjusted_variance(counts: NpsCounts) -> float | None:
    """Variance of the adjusted NPS estimate, as a proportion (multiply by 100^2 for points^2)."""
    n = counts.responses
    if n == 0:
        return None
    n_adjusted = n + ADJUSTED_WALD_EXTRA_N
    p_promoter = (counts.promoters + ADJUSTED_WALD_PSEUDO_COUNT) / n_adjusted
    p_detractor = (counts.detractors + ADJUSTED_WALD_PSEUDO_COUNT) / n_adjusted
    return (p_promoter + p_detractor - (p_promoter - p_detractor) ** 2) / n_adjusted


def response_rate(counts: NpsCounts) -> float | None:
    """answered / (answered + declined + abandoned), in percent. Throttled surveys were never shown: excluded."""
    asked = counts.responses + counts.declined + counts.abandoned
    return None if asked == 0 else 100.0 * counts.responses / asked


def change_is_significant(before: NpsCounts, after: NpsCounts, z: float = Z_95) -> bool | None:
    """Is the NPS change between two independent samples larger than chance (two-sided, 95%)?

    Difference of the two NPS over the standard error sqrt(var_before + var_after), with the adjusted
    variances above. None when either sample has no answers.
    """
    var_before, var_after = adjusted_variance(before), adjusted_variance(after)
    nps_before, nps_after = net_promoter_score(before), net_promoter_score(after)
    if var_before is None or var_after is None or nps_before is None or nps_after is None:
        return None
    standard_error = 100.0 * math.sqrt(var_before + var_after)
    return abs(nps_after - nps_before) > z * standard_error


@dataclass(frozen=True, slots=True)
class NpsSummary:
    counts: NpsCounts
    nps: float | None
    ci95: tuple[float, float] | None
    response_rate: float | None


def summarize(counts: NpsCounts) -> NpsSummary:
    return NpsSummary(counts=counts, nps=net_promoter_score(counts), ci95=adjusted_wald_interval(counts),
                      response_rate=response_rate(counts))
