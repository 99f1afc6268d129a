"""Agreement figures between automatic judgements and human labels, each with a 95% interval.

Pure maths over lists; no I/O. Flags (yes/no): accuracy (Wilson interval), macro-F1 and Cohen's kappa
(bootstrap intervals). Graded labels against 0-100 scores: Spearman's rho (Fisher-z interval). Contrast
pairs: the share ordered right (Wilson interval). The bootstrap resamples items with a fixed seed, so the
same input always prints the same interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from sklearn.metrics import roc_auc_score

from analytics.nps.maths import Z_95

BOOTSTRAP_ROUNDS = 2000
BOOTSTRAP_SEED = 20261208


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return {"value": round(self.value, 4), "ci95": [round(self.low, 4), round(self.high, 4)], "n": self.n}


def wilson(successes: int, n: int) -> Estimate:
    if n == 0:
        return Estimate(float("nan"), 0.0, 1.0, 0)
    p = successes / n
    centre = (p + Z_95**2 / (2 * n)) / (1 + Z_95**2 / n)
    half = Z_95 * math.sqrt(p * (1 - p) / n + Z_95**2 / (4 * n * n)) / (1 + Z_95**2 / n)
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), n)


def _bootstrap(statistic: Callable[[np.ndarray, np.ndarray], float], gold: Sequence, predicted: Sequence) -> Estimate:
    gold_array, predicted_array = np.asarray(gold), np.asarray(predicted)
    n = len(gold_array)
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    value = statistic(gold_array, predicted_array)
    if n < 2:
        return Estimate(value, float("nan"), float("nan"), n)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    samples = []
    for _ in range(BOOTSTRAP_ROUNDS):
        index = rng.integers(0, n, n)
        result = statistic(gold_array[index], predicted_array[index])
        if not math.isnan(result):
            samples.append(result)
    low, high = np.percentile(samples, [2.5, 97.5]) if samples else (float("nan"), float("nan"))
    return Estimate(value, float(low), float(high), n)


def _confusion(gold: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    classes = sorted(set(gold.tolist()) | set(predicted.tolist()), key=str)
    index = {name: i for i, name in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)))
    np.add.at(matrix, ([index[g] for g in gold.tolist()], [index[p] for p in predicted.tolist()]), 1)
    return matrix


def _kappa(gold: np.ndarray, predicted: np.ndarray) -> float:
    """Cohen's kappa: (observed - chance agreement) / (1 - chance); 1 when both use one same class only."""
    matrix = _confusion(gold, predicted)
    total = matrix.sum()
    observed = np.trace(matrix) / total
    chance = float((matrix.sum(axis=0) * matrix.sum(axis=1)).sum() / total**2)
    if chance >= 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return float((observed - chance) / (1 - chance))


def _macro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    """Unweighted mean of each class's F1 over the classes that occur in either list."""
    matrix = _confusion(gold, predicted)
    true_positive = np.diag(matrix)
    denominator = matrix.sum(axis=0) + matrix.sum(axis=1)
    f1 = np.divide(2 * true_positive, denominator, out=np.zeros_like(true_positive), where=denominator > 0)
    return float(f1.mean())


def kappa(gold: Sequence, predicted: Sequence) -> Estimate:
    """Cohen's kappa (chance-corrected agreement) with a bootstrap 95% interval."""
    return _bootstrap(_kappa, gold, predicted)


def macro_f1(gold: Sequence, predicted: Sequence) -> Estimate:
    return _bootstrap(_macro_f1, gold, predicted)


def accuracy(gold: Sequence, predicted: Sequence) -> Estimate:
    return wilson(sum(1 for g, p in zip(gold, predicted, strict=True) if g == p), len(gold))


def spearman(graded: Sequence[float], scores: Sequence[float]) -> Estimate:
    """Spearman's rho of the graded labels against the scores, Fisher-z 95% interval (Bonett-Wright SE)."""
    n = len(graded)
    if n < 4 or len(set(graded)) < 2 or len(set(scores)) < 2:
        return Estimate(float("nan"), float("nan"), float("nan"), n)
    rho = float(stats.spearmanr(graded, scores).statistic)
    clipped = max(min(rho, 0.999999), -0.999999)
    se = math.sqrt((1 + clipped**2 / 2) / (n - 3))
    z = math.atanh(clipped)
    return Estimate(rho, math.tanh(z - Z_95 * se), math.tanh(z + Z_95 * se), n)


def auc(gold: Sequence[bool], scores: Sequence[float]) -> Estimate:
    """Area under the ROC curve of ``scores`` for the positive class, with a bootstrap interval."""
    def statistic(g: np.ndarray, s: np.ndarray) -> float:
        return float(roc_auc_score(g, s)) if len(set(g.tolist())) == 2 else float("nan")
    return _bootstrap(statistic, [bool(x) for x in gold], [float(x) for x in scores])


def flag_figures(gold: Sequence[bool], predicted: Sequence[bool]) -> dict[str, Estimate]:
    return {"accuracy": accuracy(gold, predicted), "macro_f1": macro_f1(gold, predicted),
            "kappa": kappa(gold, predicted)}
