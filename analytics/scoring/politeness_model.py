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


def sigmoid_array(values: np.ndarray) -> np.ndarray:
    """``sigmoid`` of each value, in the same overflow-free form."""
    exp = np.exp(-np.abs(values))
    return np.where(values >= 0, 1.0 / (1.0 + exp), exp / (1.0 + exp))


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
        self._label_weights: dict[tuple[str, ...], tuple[np.ndarray, ...]] = {}

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

    def label_weights(self, labels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For counts over ``labels``: the fitted weight of each (0 if none), the service log-odds of each (0 if
        none), which are service moves, and which the model reads at all."""
        cached = self._label_weights.get(labels)
        if cached is None:
            strategy = np.array([self.strategy_weights.get(label, 0.0) for label in labels])
            service = np.array([self.service_weights.get(label, 0.0) for label in labels])
            is_service = np.array([label in self.service_weights for label in labels], dtype=bool)
            read = is_service | np.array([label in self.strategy_weights for label in labels], dtype=bool)
            cached = self._label_weights[labels] = (strategy, service, is_service, read)
        return cached

    def score_counts(self, counts: np.ndarray, lexical: np.ndarray,
                     labels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """P(polite) of each row of marker ``counts`` (turns x ``labels``) with its lexical log-odds
        (``lexical_logits``). Also: the log-odds each label adds (fitted ones scaled by the calibration slope;
        service moves as they are, added after calibration), the lexical log-odds as added, and which labels
        the model reads (a label contributes to a turn where it is read and present)."""
        strategy_weights, service_weights, is_service, read = self.label_weights(labels)
        strategy_part = np.log1p(counts) * strategy_weights
        present = counts > 0
        logit = self.slope * (self.intercept + strategy_part.sum(axis=1) + lexical) + self.offset
        logit += (present * service_weights).sum(axis=1)
        contributions = np.where(is_service, service_weights, self.slope * strategy_part)
        return sigmoid_array(logit), contributions, self.slope * lexical, read
