"""P(polite) of one turn: a calibrated logistic model over strategies and lexical n-grams (pure maths).

The fitted part (``data/politeness_model.json``, written by ``scripts/fit_politeness.py``) has a weight per
Danescu-Niculescu-Mizil strategy and generic cue (on log(1 + count)), per lexical n-gram (tf-idf,
l2-normalised over the turn's known n-grams, so long turns do not get extreme) and a Platt calibration.
The service moves add fixed log-odds from ``data/service_weights.yml``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from analytics.scoring import resources
from analytics.scoring.lexical import NgramEncoder


def sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1.0 + exp)


def strategy_vector(counts: Mapping[str, int], labels: tuple[str, ...]) -> list[float]:
    """The strategy features as the model reads them: log(1 + count)."""
    return [math.log1p(counts.get(label, 0)) for label in labels]


@lru_cache(maxsize=1)
def shared_encoder() -> NgramEncoder:
    return NgramEncoder(resources.load_vocabulary())


class PolitenessModel:
    def __init__(self, fitted: dict[str, Any], service_weights: Mapping[str, float],
                 encoder: NgramEncoder | None = None) -> None:
        self.encoder = encoder or shared_encoder()
        self.strategy_labels: tuple[str, ...] = tuple(fitted["strategy_features"])
        self.strategy_weights = {label: float(fitted["strategy_weights"][label]) for label in self.strategy_labels}
        self.intercept = float(fitted["intercept"])
        calibration = fitted.get("calibration") or {}
        self.slope = float(calibration.get("slope", 1.0))
        self.offset = float(calibration.get("offset", 0.0))
        lexical = fitted.get("lexical_weights") or {}
        # Sorted n-gram codes with their weight (already multiplied by idf) and idf squared (for the turn's l2 norm).
        codes = np.array([self.encoder.encode(ngram) for ngram in lexical], dtype=np.int64)
        order = np.argsort(codes)
        self._lexical_codes = codes[order]
        self._lexical_weights = np.array([float(pair[0]) for pair in lexical.values()], dtype=np.float64)[order]
        self._lexical_idf_squared = np.array([float(pair[1]) ** 2 for pair in lexical.values()],
                                             dtype=np.float64)[order]
        self.service_weights = {str(label): float(weight) for label, weight in service_weights.items()}

    @classmethod
    @lru_cache(maxsize=1)
    def shared(cls) -> PolitenessModel:
        fitted = resources.load_json(resources.POLITENESS_MODEL_FILE)
        return cls(fitted, resources.load_yaml(resources.SERVICE_WEIGHTS_FILE))

    def lexical_logits(self, owners: np.ndarray, codes: np.ndarray, count: int) -> np.ndarray:
        """The lexical log-odds of ``count`` turns from their (turn number, code) pairs: the sum of the known
        n-grams' tf-idf weights over the l2 norm of their idf (0 for a turn with no known n-gram)."""
        known = self._lexical_codes
        if not len(known) or not len(codes):
            return np.zeros(count)
        position = np.minimum(np.searchsorted(known, codes), len(known) - 1)
        hit = known[position] == codes
        owners, position = owners[hit], position[hit]
        weights = np.bincount(owners, weights=self._lexical_weights[position], minlength=count)
        norms = np.sqrt(np.bincount(owners, weights=self._lexical_idf_squared[position], minlength=count))
        return np.divide(weights, norms, out=np.zeros(count), where=norms > 0)

    def score(self, counts: Mapping[str, int], lexical: float) -> tuple[float, dict[str, float]]:
        """P(polite) and the log-odds each present strategy or move added (before calibration scaling), from the
        turn's marker counts and its lexical log-odds (``lexical_logits``)."""
        strategy_part = {label: math.log1p(count) * self.strategy_weights[label]
                         for label, count in counts.items() if count and label in self.strategy_weights}
        fitted_logit = self.intercept + sum(strategy_part.values()) + lexical
        logit = self.slope * fitted_logit + self.offset
        contributions = {label: self.slope * weight for label, weight in strategy_part.items()}
        for label, weight in self.service_weights.items():
            if counts.get(label):
                logit += weight
                contributions[label] = weight
        contributions["lexical"] = self.slope * lexical
        return sigmoid(logit), contributions
