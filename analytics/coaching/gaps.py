"""Pure maths of gap reports and coaching effects: no database, no I/O."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analytics.coaching.targets import Targets

Z_95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class DimensionStats:
    """Mean score of one subject (agent or touchpoint) on one dimension over a window."""

    subject: str
    dimension: str
    mean: float
    conversations: int


@dataclass(frozen=True, slots=True)
class Gap:
    subject: str
    dimension: str
    mean: float
    target: float
    conversations: int

    @property
    def shortfall(self) -> float:
        """Points below target (0 when at or above it)."""
        return max(0.0, self.target - self.mean)


def find_gaps(stats: Iterable[DimensionStats], targets: Targets) -> list[Gap]:
    """Subjects below target with enough conversations to say so, largest shortfall first."""
    gaps = [
        Gap(s.subject, s.dimension, s.mean, targets.dimensions[s.dimension].target, s.conversations)
        for s in stats
        if s.dimension in targets.dimensions
        and s.conversations >= targets.min_conversations
        and s.mean < targets.dimensions[s.dimension].target
    ]
    return sorted(gaps, key=lambda gap: (-gap.shortfall, gap.subject, gap.dimension))


def mean_and_variance(values: Sequence[float]) -> tuple[float, float] | None:
    """Sample mean and (n-1) variance; None for no values; variance 0 for one value."""
    if not values:
        return None
    mean = sum(values) / len(values)
    if len(values) == 1:
        return mean, 0.0
    return mean, sum((v - mean) ** 2 for v in values) / (len(values) - 1)


@dataclass(frozen=True, slots=True)
class Effect:
    before_mean: float | None
    after_mean: float | None
    before_n: int
    after_n: int
    difference: float | None
    ci95: tuple[float, float] | None
    verdict: str  # "improved" | "no clear change" | "worse" | "too early"


def coaching_effect(before: Sequence[float], after: Sequence[float], *, min_n: int,
                    min_improvement: float) -> Effect:
    """Compare per-conversation scores before and after a coaching assignment (Welch, normal approximation).

    "improved": the mean rose by at least ``min_improvement`` and the 95% interval of the difference is
    above zero; "worse": the interval is below zero; "too early": fewer than ``min_n`` conversations on
    either side.
    """
    b, a = mean_and_variance(before), mean_and_variance(after)
    if b is None or a is None or len(before) < min_n or len(after) < min_n:
        return Effect(b[0] if b else None, a[0] if a else None, len(before), len(after), None, None, "too early")
    difference = a[0] - b[0]
    half_width = Z_95 * math.sqrt(b[1] / len(before) + a[1] / len(after))
    interval = (difference - half_width, difference + half_width)
    if interval[0] > 0 and difference >= min_improvement:
        verdict = "improved"
    elif interval[1] < 0:
        verdict = "worse"
    else:
        verdict = "no clear change"
    return Effect(b[0], a[0], len(before), len(after), difference, interval, verdict)
