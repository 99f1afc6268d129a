"""Conversation politeness (0-100) from the agent and bot turns' P(polite). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from analytics.scoring import resources
from analytics.scoring.types import DimensionResult, Marker, RoundingMemo, TurnAnalysis


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
    rude_labels, minor_labels, minor_factor = config.rude, config.minor, config.minor_rank_factor
    # text.strip() is non-empty exactly when the text is not empty and not all whitespace
    responder_turns = [turn for turn in turns if turn.speaker != "customer" and turn.text and not turn.text.isspace()]
    if not responder_turns:
        return DimensionResult(None, {"reason": "no agent or bot turn"}, [])
    rude_flags = [not rude_labels.isdisjoint(turn.label_counts) for turn in responder_turns]
    floor = config.neutral_floor
    values = [(0.5 if turn.politeness is None else turn.politeness) if rude else
              max(0.5 if turn.politeness is None else turn.politeness, floor)
              for turn, rude in zip(responder_turns, rude_flags, strict=True)]  # as ``floored``
    mean, minimum = sum(values) / len(values), min(values)
    value = 100 * (config.mean_weight * mean + config.min_weight * minimum)
    strategies: dict[str, int] = {}
    rude_turns = []
    candidates: list[tuple[float, TurnAnalysis, Marker, float]] = []  # evidence items are built for the kept ones
    for turn, turn_is_rude in zip(responder_turns, rude_flags, strict=True):
        contributions = turn.politeness_contributions
        for label in contributions:
            if label != "lexical":
                strategies[label] = strategies.get(label, 0) + 1
        if turn_is_rude:
            rude_turns.append(turn.index)
        for marker in turn.markers:
            label = marker.label
            weight = contributions.get(label)
            if label in rude_labels:
                if weight is None:
                    weight = -1.0
                rank = 1e6
            elif weight is None:
                continue
            else:
                rank = abs(weight)
            if label in minor_labels:
                rank *= minor_factor
            candidates.append((rank, turn, marker, weight))
    candidates.sort(key=_RANK, reverse=True)  # stable: equal ranks keep their order
    evidence = [{"turn": turn.index, "speaker": turn.speaker, "label": marker.label, "pattern": marker.pattern,
                 "start": marker.start, "end": marker.end, "text": turn.text[marker.start:marker.end],
                 "effect": _round_effect(weight)}
                for _, turn, marker, weight in candidates[: config.max_evidence]]
    evidence.sort(key=_TURN_AND_START)
    details = {
        "turns": [_turn_detail(turn, turn_value) for turn, turn_value in zip(responder_turns, values, strict=True)],
        "mean": round(mean, 4),
        "min": round(minimum, 4),
        "rude_turns": rude_turns,
        "strategies": dict(sorted(strategies.items())),
    }
    return DimensionResult(round(value, 2), details, evidence)


def _turn_detail(turn: TurnAnalysis, counted: float) -> dict[str, Any]:
    shown = round(turn.politeness or 0.0, 4)
    return {"turn": turn.index, "speaker": turn.speaker, "p_polite": shown,
            "counted": shown if counted == turn.politeness else _round_floor(counted)}


_round_effect = RoundingMemo(3)  # log-odds of a strategy: a few values per label
_round_floor = RoundingMemo(4)  # the neutral floor, or a turn's P(polite) when it is None (0.5)
_RANK = itemgetter(0)
_TURN_AND_START = itemgetter("turn", "start")
