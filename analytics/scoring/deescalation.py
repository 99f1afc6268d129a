"""Complaint de-escalation of one conversation: trajectory of the customer's complaint intensity and the
agent's moves after its peak. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from analytics.scoring import resources
from analytics.scoring.types import DimensionResult, RoundingMemo, TurnAnalysis, evidence_item, without_nested

# A complaint intensity depends only on the turn's cue counts: few distinct values, rounded once each.
_round_intensity = RoundingMemo(4)
_round_peak = RoundingMemo(3)


class _Config:
    """``deescalation.yml``, read once into the shapes the scoring wants."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.threshold = float(data["complaint_threshold"])
        self.final_turns = int(data["final_turns"])
        self.min_drop = float(data["min_drop"])
        self.trajectory_points = float(data["trajectory_points"])
        self.moves = {str(label): float(points) for label, points in data["moves"].items()}
        self.dismissive = frozenset(data["dismissive_labels"])
        self.dismissive_penalty = float(data["dismissive_penalty"])


@lru_cache(maxsize=1)
def _config() -> _Config:
    return _Config(resources.load_yaml(resources.DEESCALATION_FILE))


def score_deescalation(turns: Sequence[TurnAnalysis]) -> DimensionResult:
    config = _config()
    customer = [turn for turn in turns if turn.complaint is not None and turn.speaker == "customer"]
    trajectory = [{"turn": turn.index, "intensity": _round_intensity(turn.complaint or 0.0)} for turn in customer]
    peak_turn, peak = None, 0.0
    for turn in customer:  # the first turn of the highest intensity, as max() picks it
        if peak_turn is None or (turn.complaint or 0.0) > peak:
            peak_turn, peak = turn, turn.complaint or 0.0
    if peak_turn is None or peak < config.threshold:
        details = {"complaint": False, "deescalated": None, "trajectory": trajectory,
                   "peak": round(peak, 4) if peak_turn else None}
        return DimensionResult(None, details, [])
    peak = float(peak)
    shown_peak = _round_peak(peak)
    cues = peak_turn.complaint_cues
    evidence = without_nested([evidence_item(peak_turn, marker, intensity=shown_peak)
                               for marker in peak_turn.markers if marker.label in cues])
    peak_index = peak_turn.index
    after = [turn for turn in customer if turn.index > peak_index]
    final_turns = after[-config.final_turns:]
    final = sum(turn.complaint or 0.0 for turn in final_turns) / len(final_turns) if final_turns else peak
    deescalated = bool(final_turns) and final < config.threshold and final <= peak - config.min_drop

    moves: dict[str, int] = {}
    dismissive = 0
    move_points, dismissive_labels = config.moves, config.dismissive
    for turn in turns:
        if turn.index <= peak_index or turn.speaker == "customer":
            continue
        for marker in turn.markers:
            label = marker.label
            if label in move_points and label not in moves:
                moves[label] = turn.index
                evidence.append(evidence_item(turn, marker))
            elif label in dismissive_labels:
                dismissive += 1
                evidence.append(evidence_item(turn, marker))
    drop = max(0.0, min(1.0, (peak - final) / peak)) if peak else 0.0
    value = config.trajectory_points * drop
    value += sum(move_points[label] for label in moves)
    value -= config.dismissive_penalty * dismissive
    value = max(0.0, min(100.0, value))
    details = {
        "complaint": True,
        "deescalated": deescalated,
        "peak": round(peak, 4),
        "peak_turn": peak_index,
        "final": round(final, 4),
        "customer_turns_after_peak": len(after),
        "moves_after_peak": moves,
        "missing_moves": [label for label in move_points if label not in moves],
        "dismissive_after_peak": dismissive,
        "trajectory": trajectory,
    }
    return DimensionResult(round(value, 2), details, evidence)
