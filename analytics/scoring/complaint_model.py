"""P(complaint) of customer turns, the complaint intensity in [0, 1] (pure maths over matched cues).

Works on a batch of turns at once: cue counts are a (turns x labels) matrix over the markers component's
labels, computed from the batch's match arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
from spacy.strings import hash_string

from analytics.scoring import resources
from analytics.scoring.politeness_model import sigmoid_array

INTENSIFIER = "INTENSIFIER"
SHOUTING = "SHOUTING"


class _LabelVectors(NamedTuple):
    columns: dict[str, int]  # label -> its column
    counted: np.ndarray  # cues and intensifiers: what the effective counts keep
    raising: np.ndarray  # cues that push P(complaint) up (positive weight; counted intensifiers): the evidence
    negatable: np.ndarray  # single-word cues dropped after a negation
    negative: np.ndarray  # cues that make intensifiers count
    intensifier: int | None  # column of INTENSIFIER
    shouting: int | None  # column of SHOUTING


class ComplaintModel:
    def __init__(self, config: Mapping[str, Any], negations: frozenset[str]) -> None:
        self.intercept = float(config["intercept"])
        self.cues = {label: (float(entry["weight"]), int(entry["cap"])) for label, entry in config["cues"].items()}
        self.intensifier_weight = float(config["intensifier"]["weight"])
        self.intensifier_cap = int(config["intensifier"]["cap"])
        self.shouting_free = int(config.get("shouting_free", 1))
        self.negation_window = int(config.get("negation_window", 2))
        self.negated_labels = frozenset(config.get("negated_labels", ()))
        # Compared with the tokens' lower-case hashes (Token.lower).
        self._negation_hashes = np.array(sorted(hash_string(word) for word in negations), dtype=np.uint64)
        self.negative_cues = tuple(config["negative_cues"])
        self._vectors: dict[tuple[str, ...], _LabelVectors] = {}

    @classmethod
    @lru_cache(maxsize=1)
    def shared(cls) -> ComplaintModel:
        negations = frozenset(resources.load_lexicons().get("NEGATION", ()))
        return cls(resources.load_yaml(resources.COMPLAINT_MODEL_FILE), negations)

    def vectors(self, labels: tuple[str, ...]) -> _LabelVectors:
        cached = self._vectors.get(labels)
        if cached is None:
            cues = self.cues
            cached = self._vectors[labels] = _LabelVectors(
                columns={label: column for column, label in enumerate(labels)},
                counted=np.array([label in cues or label == INTENSIFIER for label in labels], dtype=bool),
                raising=np.array([(label in cues and cues[label][0] > 0) or label == INTENSIFIER
                                  for label in labels], dtype=bool),
                negatable=np.array([label in self.negated_labels for label in labels], dtype=bool),
                negative=np.array([label in self.negative_cues for label in labels], dtype=bool),
                intensifier=labels.index(INTENSIFIER) if INTENSIFIER in labels else None,
                shouting=labels.index(SHOUTING) if SHOUTING in labels else None,
            )
        return cached

    def effective_counts(self, labels: tuple[str, ...], docs: np.ndarray, match_labels: np.ndarray,
                         starts: np.ndarray, ends: np.ndarray, lower: np.ndarray, offsets: np.ndarray,
                         selected: np.ndarray) -> np.ndarray:
        """Cue counts (turns x labels) of the ``selected`` turns from a batch's matches (Doc, label, start and end
        token in the batch; ``lower``: every token's lower-case hash; ``offsets``: where each Doc's tokens
        start): a single-word cue right after a negation is dropped, and the first all-caps words are free."""
        vectors = self.vectors(labels)
        size = len(offsets) - 1
        keep = selected[docs] & vectors.counted[match_labels]
        negatable = keep & vectors.negatable[match_labels] & (ends - starts == 1)
        if negatable.any() and len(self._negation_hashes):
            position = np.minimum(np.searchsorted(self._negation_hashes, lower), len(self._negation_hashes) - 1)
            negations = np.concatenate([[0], np.cumsum(self._negation_hashes[position] == lower)])
            window_start = np.maximum(offsets[docs], starts - self.negation_window)
            keep &= ~(negatable & (negations[starts] > negations[window_start]))
        counts = np.bincount(docs[keep] * len(labels) + match_labels[keep],
                             minlength=size * len(labels)).reshape(size, len(labels))
        if vectors.shouting is not None:
            column = counts[:, vectors.shouting]
            np.maximum(column - self.shouting_free, 0, out=column)
        return counts

    def probabilities(self, counts: np.ndarray, labels: tuple[str, ...]) -> np.ndarray:
        """P(complaint) of each row of effective ``counts``. The cues are added one by one in the order of the
        configuration, so every turn's logit is the same sum, to the last bit, as a plain loop gives (the
        weights are round numbers: a logit can be exactly 0, P exactly 0.5, the decision threshold)."""
        vectors = self.vectors(labels)
        logit = np.full(len(counts), self.intercept)
        for label, (weight, cap) in self.cues.items():
            if label in vectors.columns:
                logit += weight * np.minimum(counts[:, vectors.columns[label]], cap)
        if vectors.intensifier is not None:
            negative = (counts[:, vectors.negative] > 0).any(axis=1)
            intensifiers = np.minimum(counts[:, vectors.intensifier], self.intensifier_cap)
            logit += np.where(negative, self.intensifier_weight * intensifiers, 0.0)
        return sigmoid_array(logit)

    def raising_counts(self, counts: np.ndarray, labels: tuple[str, ...]) -> np.ndarray:
        """The part of ``counts`` that pushed P(complaint) up: cues with a positive weight, and intensifiers
        only in a turn with a negative cue (elsewhere they do not count). This is what evidence shows."""
        vectors = self.vectors(labels)
        raising = counts * vectors.raising
        if vectors.intensifier is not None:
            negative = (counts[:, vectors.negative] > 0).any(axis=1)
            raising[~negative, vectors.intensifier] = 0
        return raising
