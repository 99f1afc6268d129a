"""Pure maths of gaps and coaching effects, checked against hand-computed values."""

import pytest

from analytics.coaching.gaps import DimensionStats, coaching_effect, find_gaps, mean_and_variance
from analytics.coaching.targets import load_targets


def test_targets_load_from_the_data_file():
    targets = load_targets()
    assert set(targets.dimensions) == {"politeness", "efficiency", "deescalation"}
    assert all(0 < t.target <= 100 for t in targets.dimensions.values())


def test_gaps_need_enough_conversations_and_sort_by_shortfall():
    targets = load_targets()
    polite = targets.dimensions["politeness"].target
    stats = [
        DimensionStats("ana", "politeness", polite + 5, 40),  # above target
        DimensionStats("ben", "politeness", polite - 10, 40),  # 10 short
        DimensionStats("cara", "politeness", polite - 30, targets.min_conversations - 1),  # too few to judge
        DimensionStats("dev", "efficiency", targets.dimensions["efficiency"].target - 20, 12),  # 20 short
    ]
    gaps = find_gaps(stats, targets)
    assert [(g.subject, g.dimension) for g in gaps] == [("dev", "efficiency"), ("ben", "politeness")]
    assert gaps[0].shortfall == pytest.approx(20) and gaps[1].shortfall == pytest.approx(10)


def test_mean_and_variance():
    # values 2, 4, 6: mean 4; squared deviations 4 + 0 + 4 = 8; / (3 - 1) = 4
    assert mean_and_variance([2, 4, 6]) == (4, 4)
    assert mean_and_variance([7]) == (7, 0.0)
    assert mean_and_variance([]) is None


def test_coaching_effect_improved_with_hand_computed_interval():
    before = [50, 52, 48, 50, 50]  # mean 50, variance (0+4+4+0+0)/4 = 2
    after = [60, 62, 58, 60, 60]  # mean 60, variance 2
    effect = coaching_effect(before, after, min_n=5, min_improvement=5)
    # difference 10; standard error sqrt(2/5 + 2/5) = sqrt(0.8) = 0.8944; half width 1.96 * 0.8944 = 1.753
    assert effect.difference == pytest.approx(10)
    assert effect.ci95 == pytest.approx((10 - 1.7530, 10 + 1.7530), abs=1e-3)
    assert effect.verdict == "improved"


def test_coaching_effect_other_verdicts():
    assert coaching_effect([50] * 3, [90] * 10, min_n=5, min_improvement=5).verdict == "too early"
    noisy = coaching_effect([10, 90, 10, 90, 10], [20, 95, 15, 90, 20], min_n=5, min_improvement=5)
    assert noisy.verdict == "no clear change" and noisy.ci95[0] < 0 < noisy.ci95[1]
    small = coaching_effect([50, 50, 50, 50, 51], [52, 52, 52, 52, 53], min_n=5, min_improvement=5)
    assert small.ci95[0] > 0 and small.verdict == "no clear change"  # real but below the minimum that matters
    assert coaching_effect([80] * 5 + [81], [60] * 5 + [61], min_n=5, min_improvement=5).verdict == "worse"
