"""Conversation politeness (0-100) from the agent and bot turns' P(polite). Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from analytics.scoring import resources
from analytics.scoring.types import DimensionResult, Marker, TurnAnalysis, evidence_item


class _Config:
    """``politeness_conversation.yml``, read once into the shapes the scoring loop wants."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.rude = frozenset(data["rude_labels"])
        self.minor = frozenset(data["minor_labels"])
        self.neutral_floor = float(data["neutral_floor"])
        self.mean_weight, self.min_weight = float(data["mean_weight"]), float(data["min_weight"])
        self.max_evidence = int(data["max_evidence"])
        self.minor_rank_factor = float(data["minor_rank_factor"])


@lru_cache(maxsize=1)
def _config() -> _Config:
    return _Config(resources.load_yaml("politeness_conversation.yml"))


def is_rude(turn: TurnAnalysis) -> bool:
    return not _config().rude.isdisjoint(turn.label_counts)  # label_counts holds only labels that occurred


def floored(turn: TurnAnalysis, rude: bool) -> float:
    """The turn's P(polite), not below the neutral floor unless the turn has a rude marker (``rude``)."""
    probability = turn.politeness if turn.politeness is not None else 0.5
    if rude:
        return probability
    return max(probability, _config().neutral_floor)


def score_politeness(turns: Sequence[TurnAnalysis]) -> DimensionResult:
    config = _config()
    responder_turns = [turn for turn in turns if turn.speaker != "customer" and turn.text.strip()]
    if not responder_turns:
        return DimensionResult(None, {"reason": "no agent or bot turn"}, [])
    rude_flags = [is_rude(turn) for turn in responder_turns]
    values = [floored(turn, rude) for turn, rude in zip(responder_turns, rude_flags, strict=True)]
    mean, minimum = sum(values) / len(values), min(values)
    value = 100 * (config.mean_weight * mean + config.min_weight * minimum)
    strategies: Counter[str] = Counter()
    rude_turns = []
    candidates: list[tuple[float, TurnAnalysis, Marker, float]] = []  # evidence items are built for the kept ones
    for turn, turn_is_rude in zip(responder_turns, rude_flags, strict=True):
        contributions = turn.politeness_contributions
        strategies.update(label for label in contributions if label != "lexical")
        if turn_is_rude:
            rude_turns.append(turn.index)
        for marker in turn.markers:
            label = marker.label
            weight = contributions.get(label)
            rude = label in config.rude
            if weight is None:
                if not rude:
                    continue
                weight = -1.0
            rank = 1e6 if rude else abs(weight)
            if label in config.minor:
                rank *= config.minor_rank_factor
            candidates.append((rank, turn, marker, weight))
    candidates.sort(key=lambda candidate: -candidate[0])  # stable: equal ranks keep their order
    evidence = sorted((evidence_item(turn, marker, effect=round(weight, 3))
                       for _, turn, marker, weight in candidates[: config.max_evidence]),
                      key=lambda item: (item["turn"], item["start"]))
    details = {
        "turns": [{"turn": turn.index, "speaker": turn.speaker, "p_polite": round(turn.politeness or 0.0, 4),
                   "counted": round(turn_value, 4)} for turn, turn_value in zip(responder_turns, values, strict=True)],
        "mean": round(mean, 4),
        "min": round(minimum, 4),
        "rude_turns": rude_turns,
        "strategies": dict(sorted(strategies.items())),
    }
    return DimensionResult(round(value, 2), details, evidence)
