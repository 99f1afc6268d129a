"""The agreement maths, against figures computed by hand and against scikit-learn's definitions."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score, f1_score

from analytics.evaluation.agreement import _kappa, _macro_f1, accuracy, kappa, spearman, wilson


def test_kappa_of_a_two_by_two_table_by_hand():
    # 20 items: both yes 8, both no 7, gold yes / predicted no 3, gold no / predicted yes 2.
    gold = [True] * 8 + [False] * 7 + [True] * 3 + [False] * 2
    predicted = [True] * 8 + [False] * 7 + [False] * 3 + [True] * 2
    # observed 15/20 = 0.75; chance = (11/20)(10/20) + (9/20)(10/20) = 0.5; kappa = 0.25 / 0.5 = 0.5
    estimate = kappa(gold, predicted)
    assert math.isclose(estimate.value, 0.5)
    assert estimate.low < 0.5 < estimate.high and estimate.n == 20


def test_wilson_interval_by_hand():
    # 9 of 10: centre (0.9 + 1.96^2/20) / (1 + 1.96^2/10) = 0.8004, half-width 0.2043 -> [0.596, 0.982]
    estimate = wilson(9, 10)
    assert math.isclose(estimate.low, 0.5958, abs_tol=1e-3) and math.isclose(estimate.high, 0.9821, abs_tol=1e-3)
    assert accuracy(["a", "b", "a"], ["a", "b", "b"]).value == 2 / 3


def test_spearman_with_ties_and_its_interval():
    estimate = spearman([1, 1, 2, 2, 3, 3], [10, 20, 30, 40, 50, 60])
    assert math.isclose(estimate.value, 0.9562, abs_tol=1e-3)  # ties in the labels: average ranks (1.5, 3.5, 5.5)
    assert estimate.low < estimate.value < estimate.high <= 1
    assert math.isnan(spearman([1, 1, 1, 1], [1, 2, 3, 4]).value)  # no spread in the labels: undefined


def test_the_same_input_gives_the_same_interval():
    gold = [True, False] * 15
    predicted = [True, True, False] * 10
    assert kappa(gold, predicted) == kappa(gold, predicted)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abc")), min_size=2, max_size=40))
def test_kappa_and_macro_f1_equal_scikit_learns(pairs):
    gold = np.array([g for g, _ in pairs])
    predicted = np.array([p for _, p in pairs])
    labels = sorted(set(gold) | set(predicted))
    if len(labels) >= 2:
        assert math.isclose(_kappa(gold, predicted), cohen_kappa_score(gold, predicted), abs_tol=1e-9)
    assert math.isclose(_macro_f1(gold, predicted),
                        f1_score(gold, predicted, average="macro", labels=labels, zero_division=0), abs_tol=1e-9)
