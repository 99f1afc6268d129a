"""NPS maths checked against hand-computed examples (the arithmetic is in the comments)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.nps.maths import (
    NpsCounts,
    adjusted_wald_interval,
    change_is_significant,
    classify,
    counts_from_scores,
    net_promoter_score,
    response_rate,
    summarize,
    wald_interval,
)


@pytest.mark.parametrize(("score", "kind"), [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"),
                                             (9, "promoter"), (10, "promoter")])
def test_classify(score, kind) -> None:
    assert classify(score) == kind


@pytest.mark.parametrize("score", [-1, 11])
def test_classify_rejects_out_of_scale(score) -> None:
    with pytest.raises(ValueError, match="from 0 to 10"):
        classify(score)


def test_counts_and_nps_from_scores() -> None:
    # 10, 9, 9 -> 3 promoters; 8, 7 -> 2 passives; 6, 0 -> 2 detractors; n = 7
    # NPS = 100 * (3 - 2) / 7 = 14.2857...
    counts = counts_from_scores([10, 9, 9, 8, 7, 6, 0])
    assert counts == NpsCounts(promoters=3, passives=2, detractors=2)
    assert net_promoter_score(counts) == pytest.approx(14.285714, abs=1e-6)


def test_no_answers_no_score() -> None:
    empty = NpsCounts(declined=3)
    assert net_promoter_score(empty) is None
    assert wald_interval(empty) is None and adjusted_wald_interval(empty) is None
    assert response_rate(empty) == 0.0  # asked three times, never answered


def test_example_100_answers() -> None:
    # 50 promoters, 30 passives, 20 detractors; n = 100; NPS = 50% - 20% = 30.
    counts = NpsCounts(promoters=50, passives=30, detractors=20)
    assert net_promoter_score(counts) == pytest.approx(30.0)
    # Wald: p_P = 0.5, p_D = 0.2; var = (0.5 + 0.2 - 0.3^2) / 100 = 0.61 / 100 = 0.0061
    #       se = sqrt(0.0061) = 0.0781025; half width = 1.959964 * 0.0781025 = 0.1530781
    #       -> 30 +/- 15.30781 = [14.6922, 45.3078]
    assert wald_interval(counts) == pytest.approx((14.6922, 45.3078), abs=1e-4)
    # Adjusted Wald: n' = 103, p_P = 50.75/103 = 0.4927184, p_D = 20.75/103 = 0.2014563, centre = 0.2912621
    #       var = (0.6941748 - 0.2912621^2) / 103 = (0.6941748 - 0.0848336) / 103 = 0.0059159
    #       se = 0.0769151; half width = 1.959964 * 0.0769151 = 0.1507509
    #       -> 29.12621 +/- 15.07509 = [14.0511, 44.2013]
    assert adjusted_wald_interval(counts) == pytest.approx((14.0511, 44.2013), abs=1e-4)


def test_all_promoters_shows_why_we_adjust() -> None:
    # 10 promoters of 10: NPS = 100.
    counts = NpsCounts(promoters=10)
    assert net_promoter_score(counts) == 100.0
    # Wald: var = (1 + 0 - 1^2) / 10 = 0 -> the useless interval [100, 100].
    assert wald_interval(counts) == (100.0, 100.0)
    # Adjusted: n' = 13, p_P = 10.75/13 = 0.8269231, p_D = 0.75/13 = 0.0576923, centre = 0.7692308
    #       var = (0.8846154 - 0.7692308^2) / 13 = (0.8846154 - 0.5917160) / 13 = 0.0225307
    #       se = 0.1501023; half width = 1.959964 * 0.1501023 = 0.2941951
    #       -> [76.92308 - 29.41951, 76.92308 + 29.41951] = [47.5036, 106.3426], clipped to [47.5036, 100]
    assert adjusted_wald_interval(counts) == pytest.approx((47.5036, 100.0), abs=1e-4)


def test_small_negative_sample() -> None:
    # 3 promoters, 4 passives, 5 detractors; n = 12; NPS = 100 * (3 - 5) / 12 = -16.6667
    counts = NpsCounts(promoters=3, passives=4, detractors=5)
    assert net_promoter_score(counts) == pytest.approx(-16.6667, abs=1e-4)
    # Wald: p_P = 0.25, p_D = 0.4166667; var = (0.6666667 - 0.1666667^2) / 12 = 0.6388889 / 12 = 0.0532407
    #       se = 0.2307395; half width = 0.4522413 -> [-61.8908, 28.5575]
    assert wald_interval(counts) == pytest.approx((-61.8908, 28.5575), abs=1e-4)
    # Adjusted: n' = 15, p_P = 3.75/15 = 0.25, p_D = 5.75/15 = 0.3833333, centre = -0.1333333
    #       var = (0.6333333 - 0.0177778) / 15 = 0.0410370; se = 0.2025760; half width = 0.3970417
    #       -> [-53.0375, 26.3708]
    assert adjusted_wald_interval(counts) == pytest.approx((-53.0375, 26.3708), abs=1e-4)


def test_response_rate_excludes_throttled() -> None:
    # 80 answered, 15 declined, 5 abandoned, 7 throttled (never shown): 80 / (80 + 15 + 5) = 80%
    counts = NpsCounts(promoters=40, passives=20, detractors=20, declined=15, abandoned=5, throttled=7)
    assert response_rate(counts) == pytest.approx(80.0)
    summary = summarize(counts)
    assert summary.nps == pytest.approx(25.0)  # (40 - 20) / 80
    assert summary.response_rate == pytest.approx(80.0)


def test_change_significance() -> None:
    before = NpsCounts(promoters=50, passives=30, detractors=20)  # NPS 30, adjusted var 0.0059159
    after = NpsCounts(promoters=30, passives=30, detractors=40)  # NPS -10
    # after: n' = 103, p_P = 30.75/103 = 0.2985437, p_D = 40.75/103 = 0.3956311
    #        var = (0.6941748 - 0.0970874^2) / 103 = 0.0066480
    # se of the difference = 100 * sqrt(0.0059159 + 0.0066480) = 11.2089 points; 1.96 * 11.2089 = 21.97
    # |-10 - 30| = 40 > 21.97 -> significant
    assert change_is_significant(before, after) is True
    # 10 answers each, NPS 30 vs 10: far too few to tell.
    assert change_is_significant(NpsCounts(5, 3, 2), NpsCounts(4, 2, 4)) is False
    assert change_is_significant(NpsCounts(), after) is None


def test_counts_add() -> None:
    assert NpsCounts(1, 2, 3, 4, 5, 6) + NpsCounts(1, 1, 1, 1, 1, 1) == NpsCounts(2, 3, 4, 5, 6, 7)


@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500))
def test_interval_properties(promoters, passives, detractors) -> None:
    counts = NpsCounts(promoters, passives, detractors)
    if counts.responses == 0:
        return
    nps = net_promoter_score(counts)
    low, high = adjusted_wald_interval(counts)
    assert -100.0 <= low <= high <= 100.0
    assert -100.0 <= nps <= 100.0
    assert high - low > 0  # never degenerate, unlike Wald at the extremes
    wald_low, wald_high = wald_interval(counts)
    assert wald_low <= nps <= wald_high
