"""Complaint de-escalation of one conversation: trajectory of the customer's complaint intensity and the
agent's moves after its peak. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analytics.scoring import resources
from analytics.scoring.types import DimensionResult, TurnAnalysis, evidence_item, without_nested


def score_deescalation(turns: Sequence[TurnAnalysis]) -> DimensionResult:
    config: dict[str, Any] = resources.load_yaml("deescalation.yml")
    threshold = float(config["complaint_threshold"])
    customer = [turn for turn in turns if turn.speaker == "customer" and turn.complaint is not None]
    trajectory = [{"turn": turn.index, "intensity": round(turn.complaint or 0.0, 4)} for turn in customer]
    peak_turn = max(customer, key=lambda turn: turn.complaint or 0.0, default=None)
    if peak_turn is None or (peak_turn.complaint or 0.0) < threshold:
        details = {"complaint": False, "deescalated": None, "trajectory": trajectory,
                   "peak": round(peak_turn.complaint or 0.0, 4) if peak_turn else None}
        return DimensionResult(None, details, [])
    peak = float(peak_turn.complaint or 0.0)
    evidence = without_nested([evidence_item(peak_turn, marker, intensity=round(peak, 3))
                                for marker in peak_turn.markers if marker.label in peak_turn.complaint_cues])
    after = [turn for turn in customer if turn.index > peak_turn.index]
    final_turns = after[-int(config["final_turns"]):]
    final = sum(turn.complaint or 0.0 for turn in final_turns) / len(final_turns) if final_turns else peak
    deescalated = bool(final_turns) and final < threshold and final <= peak - float(config["min_drop"])

    moves: dict[str, int] = {}
    dismissive = 0
    for turn in turns:
        if turn.index <= peak_turn.index or turn.speaker == "customer":
            continue
        for marker in turn.markers:
            if marker.label in config["moves"] and marker.label not in moves:
                moves[marker.label] = turn.index
                evidence.append(evidence_item(turn, marker))
            elif marker.label in config["dismissive_labels"]:
                dismissive += 1
                evidence.append(evidence_item(turn, marker))
    drop = max(0.0, min(1.0, (peak - final) / peak)) if peak else 0.0
    value = float(config["trajectory_points"]) * drop
    value += sum(float(config["moves"][label]) for label in moves)
    value -= float(config["dismissive_penalty"]) * dismissive
    value = max(0.0, min(100.0, value))
    details = {
        "complaint": True,
        "deescalated": deescalated,
        "peak": round(peak, 4),
        "peak_turn": peak_turn.index,
        "final": round(final, 4),
        "customer_turns_after_peak": len(after),
        "moves_after_peak": moves,
        "missing_moves": [label for label in config["moves"] if label not in moves],
        "dismissive_after_peak": dismissive,
        "trajectory": trajectory,
    }
    return DimensionResult(round(value, 2), details, evidence)
