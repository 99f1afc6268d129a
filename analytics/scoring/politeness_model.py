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

from spacy.tokens import Doc

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
        # code -> (weight already multiplied by idf, idf squared for the turn's l2 norm)
        self._lexical_weight = {self.encoder.encode(ngram): float(pair[0]) for ngram, pair in lexical.items()}
        self._lexical_idf_squared = {code: float(pair[1]) ** 2
                                     for code, pair in zip(self._lexical_weight, lexical.values(), strict=True)}
        self._lexical_codes = frozenset(self._lexical_weight)
        self.service_weights = {str(label): float(weight) for label, weight in service_weights.items()}

    @classmethod
    @lru_cache(maxsize=1)
    def shared(cls) -> PolitenessModel:
        fitted = resources.load_json(resources.POLITENESS_MODEL_FILE)
        return cls(fitted, resources.load_yaml(resources.SERVICE_WEIGHTS_FILE))

    def lexical_logit(self, codes: set[int]) -> float:
        hits = self._lexical_codes.intersection(codes)
        if not hits:
            return 0.0
        norm = math.sqrt(sum(map(self._lexical_idf_squared.__getitem__, hits)))
        return sum(map(self._lexical_weight.__getitem__, hits)) / norm

    def score(self, counts: Mapping[str, int], codes: set[int]) -> tuple[float, dict[str, float]]:
        """P(polite) and the log-odds each present strategy or move added (before calibration scaling)."""
        strategy_part = {label: math.log1p(count) * self.strategy_weights[label]
                         for label, count in counts.items() if count and label in self.strategy_weights}
        lexical = self.lexical_logit(codes)
        fitted_logit = self.intercept + sum(strategy_part.values()) + lexical
        logit = self.slope * fitted_logit + self.offset
        contributions = {label: self.slope * weight for label, weight in strategy_part.items()}
        for label, weight in self.service_weights.items():
            if counts.get(label):
                logit += weight
                contributions[label] = weight
        contributions["lexical"] = self.slope * lexical
        return sigmoid(logit), contributions

    def score_doc(self, doc: Doc) -> tuple[float, dict[str, float]]:
        return self.score(doc._.cxqa_label_counts, self.encoder.codes(doc))
