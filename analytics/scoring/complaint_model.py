"""P(complaint) of one customer turn, the complaint intensity in [0, 1] (pure maths over matched cues)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from spacy.strings import hash_string
from spacy.tokens import Doc

from analytics.scoring import resources
from analytics.scoring.politeness_model import sigmoid


class ComplaintModel:
    def __init__(self, config: Mapping[str, Any], negations: frozenset[str]) -> None:
        self.intercept = float(config["intercept"])
        self.cues = {label: (float(entry["weight"]), int(entry["cap"])) for label, entry in config["cues"].items()}
        self.intensifier_weight = float(config["intensifier"]["weight"])
        self.intensifier_cap = int(config["intensifier"]["cap"])
        self.shouting_free = int(config.get("shouting_free", 1))
        self.negation_window = int(config.get("negation_window", 2))
        self.negated_labels = frozenset(config.get("negated_labels", ()))
        self._negation_hashes = frozenset(hash_string(word) for word in negations)  # compared with Token.lower
        self.negative_cues = tuple(config["negative_cues"])

    @classmethod
    @lru_cache(maxsize=1)
    def shared(cls) -> ComplaintModel:
        negations = frozenset(resources.load_lexicons().get("NEGATION", ()))
        return cls(resources.load_yaml(resources.COMPLAINT_MODEL_FILE), negations)

    def effective_counts(self, doc: Doc, matches: Iterable[tuple[str, str, int, int]]) -> dict[str, int]:
        """Cue counts after dropping negated single-word cues and the acronym allowance for caps."""
        counts: dict[str, int] = {}
        for label, _, start, end in matches:
            if label not in self.cues and label != "INTENSIFIER":
                continue
            if label in self.negated_labels and end - start == 1 and self._negated(doc, start):
                continue
            counts[label] = counts.get(label, 0) + 1
        if "SHOUTING" in counts:
            counts["SHOUTING"] -= self.shouting_free
            if counts["SHOUTING"] <= 0:
                del counts["SHOUTING"]
        return counts

    def _negated(self, doc: Doc, start: int) -> bool:
        negations = self._negation_hashes
        return any(doc[index].lower in negations for index in range(max(0, start - self.negation_window), start))

    def score_counts(self, counts: Mapping[str, int]) -> float:
        logit = self.intercept
        for label, (weight, cap) in self.cues.items():
            logit += weight * min(counts.get(label, 0), cap)
        if any(counts.get(label) for label in self.negative_cues):
            logit += self.intensifier_weight * min(counts.get("INTENSIFIER", 0), self.intensifier_cap)
        return sigmoid(logit)

    def score_matches(self, doc: Doc, matches: Iterable[tuple[str, str, int, int]]) -> tuple[float, dict[str, int]]:
        counts = self.effective_counts(doc, matches)
        return self.score_counts(counts), counts
