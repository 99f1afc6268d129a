"""Conversation politeness (0-100) from the agent and bot turns' P(polite). Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from analytics.scoring import resources
from analytics.scoring.types import DimensionResult, Marker, TurnAnalysis, evidence_item


def _config() -> dict[str, Any]:
    return resources.load_yaml("politeness_conversation.yml")


def floored(turn: TurnAnalysis, config: dict[str, Any]) -> float:
    """The turn's P(polite), not below the neutral floor unless the turn has a rude marker."""
    probability = turn.politeness if turn.politeness is not None else 0.5
    if any(turn.has(label) for label in config["rude_labels"]):
        return probability
    return max(probability, float(config["neutral_floor"]))


def score_politeness(turns: Sequence[TurnAnalysis]) -> DimensionResult:
    config = _config()
    responder_turns = [turn for turn in turns if turn.speaker != "customer" and turn.text.strip()]
    if not responder_turns:
        return DimensionResult(None, {"reason": "no agent or bot turn"}, [])
    values = [floored(turn, config) for turn in responder_turns]
    mean, minimum = sum(values) / len(values), min(values)
    value = 100 * (float(config["mean_weight"]) * mean + float(config["min_weight"]) * minimum)
    strategies: Counter[str] = Counter()
    rude_turns = []
    candidates: list[tuple[float, TurnAnalysis, Marker, float]] = []  # evidence items are built for the kept ones
    for turn in responder_turns:
        for label in turn.politeness_contributions:
            if label != "lexical":
                strategies[label] += 1
        is_rude = any(turn.has(label) for label in config["rude_labels"])
        if is_rude:
            rude_turns.append(turn.index)
        for marker in turn.markers:
            weight = turn.politeness_contributions.get(marker.label)
            if weight is None and marker.label not in config["rude_labels"]:
                continue
            weight = weight if weight is not None else -1.0
            rank = 1e6 if marker.label in config["rude_labels"] else abs(weight)
            if marker.label in config["minor_labels"]:
                rank *= float(config["minor_rank_factor"])
            candidates.append((rank, turn, marker, weight))
    candidates.sort(key=lambda candidate: -candidate[0])  # stable: equal ranks keep their order
    evidence = sorted((evidence_item(turn, marker, effect=round(weight, 3))
                       for _, turn, marker, weight in candidates[: int(config["max_evidence"])]),
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
