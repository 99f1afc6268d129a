"""Resolution efficiency of one conversation: resolved, response and handle times, repeated questions,
transfers, first-contact resolution, and a 0-100 score. Pure (first-contact resolution comes decided by the
caller, who can see the customer's other conversations)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from analytics.scoring import resources
from analytics.scoring.types import ConversationInput, DimensionResult, TurnAnalysis, evidence_item


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return max(0.0, (later - earlier).total_seconds())


def resolution(conversation: ConversationInput, turns: Sequence[TurnAnalysis]) -> tuple[bool, str, list[dict]]:
    """(resolved, basis, evidence). The import's outcome wins; else the customer's confirmation that is not
    followed by a reopening; else a concrete remedy with no reopening after it."""
    if conversation.resolved_outcome is not None:
        return conversation.resolved_outcome, "outcome", []
    last_reopen = max((turn.index for turn in turns if turn.speaker == "customer" and turn.has("REOPEN")),
                      default=-1)
    for turn in reversed(turns):
        if turn.index <= last_reopen:
            break
        if turn.speaker == "customer" and turn.has("CONFIRMATION"):
            return True, "confirmation", [evidence_item(turn, m) for m in turn.markers_of("CONFIRMATION")]
    for turn in reversed(turns):
        if turn.index <= last_reopen:
            break
        if turn.speaker != "customer" and turn.has("REMEDY"):
            return True, "remedy", [evidence_item(turn, m) for m in turn.markers_of("REMEDY")]
    evidence = []
    if last_reopen >= 0:
        evidence = [evidence_item(turns[last_reopen], m) for m in turns[last_reopen].markers_of("REOPEN")]
    return False, "reopened" if last_reopen >= 0 else "no confirmation or remedy", evidence


def response_times(turns: Sequence[TurnAnalysis]) -> tuple[float | None, float | None]:
    """First response (any agent or bot reply to the customer's first message) and the median time a
    person (agent) took to answer a customer who was waiting."""
    first_response = None
    agent_waits: list[float] = []
    waiting_since: datetime | None = None
    waiting = False
    for turn in turns:
        if turn.speaker == "customer":
            if not waiting:
                waiting, waiting_since = True, turn.ts
            continue
        if waiting:
            wait = _seconds(turn.ts, waiting_since)
            if first_response is None and wait is not None:
                first_response = wait
            if turn.speaker == "agent" and wait is not None:
                agent_waits.append(wait)
            waiting = False
    median = statistics.median(agent_waits) if agent_waits else None
    return first_response, median


def repeated_questions(turns: Sequence[TurnAnalysis]) -> tuple[int, list[dict]]:
    """The same information asked again in a later agent or bot turn."""
    first_asked: dict[str, int] = {}
    repeats = 0
    evidence = []
    for turn in turns:
        for slot in turn.asked:
            if slot in first_asked:
                repeats += 1
                evidence += [evidence_item(turn, m, slot=slot, first_asked_in=first_asked[slot])
                             for m in turn.markers_of("ASK") if m.pattern == slot][:1]
            else:
                first_asked[slot] = turn.index
    return repeats, evidence


def transfers(turns: Sequence[TurnAnalysis]) -> tuple[int, list[dict]]:
    """Handoffs between responders (bot -> agent, agent A -> agent B), or announced transfers."""
    responders = [(turn.speaker, turn.agent_id) for turn in turns if turn.speaker != "customer"]
    changes = sum(1 for before, after in zip(responders, responders[1:], strict=False) if before != after)
    announced = [turn for turn in turns if turn.speaker != "customer" and turn.has("TRANSFER")]
    evidence = [evidence_item(turn, m) for turn in announced for m in turn.markers_of("TRANSFER")]
    return max(changes, len(announced)), evidence


def _linear(value: float | None, target: dict[str, float]) -> float | None:
    if value is None:
        return None
    good, poor = float(target["good"]), float(target["poor"])
    return max(0.0, min(1.0, (poor - value) / (poor - good)))


def _target(config: dict[str, Any], key: str, channel: str | None) -> dict[str, float]:
    table = config[key]
    return table.get(channel or "default", table["default"])


def score_efficiency(conversation: ConversationInput, turns: Sequence[TurnAnalysis]) -> DimensionResult:
    config: dict[str, Any] = resources.load_yaml("efficiency.yml")
    resolved, basis, evidence = resolution(conversation, turns)
    first_response, median_agent = response_times(turns)
    stamps = [turn.ts for turn in turns if turn.ts is not None]
    start = conversation.started_at or (min(stamps) if stamps else None)
    end = conversation.ended_at or (max(stamps) if stamps else None)
    handle = _seconds(end, start)
    repeats, repeat_evidence = repeated_questions(turns)
    transfer_count, transfer_evidence = transfers(turns)
    evidence += repeat_evidence + transfer_evidence
    fcr = conversation.first_contact_resolution
    components: dict[str, float | None] = {
        "resolved": 1.0 if resolved else 0.0,
        "first_contact_resolution": None if fcr is None else float(fcr),
        "first_response": _linear(first_response, _target(config, "first_response_seconds", conversation.channel)),
        "handle_time": _linear(handle, _target(config, "handle_seconds", conversation.channel)),
        "repeated_questions": max(0.0, 1.0 - float(config["repeated_question_penalty"]) * repeats),
        "transfers": max(0.0, 1.0 - float(config["transfer_penalty"])
                         * max(0, transfer_count - int(config["free_transfers"]))),
    }
    points = config["points"]
    known = {name: value for name, value in components.items() if value is not None}
    total = sum(float(points[name]) for name in known)
    value = 100 * sum(float(points[name]) * part for name, part in known.items()) / total if total else None
    details = {
        "resolved": resolved,
        "resolved_basis": basis,
        "first_response_seconds": first_response,
        "median_agent_response_seconds": median_agent,
        "handle_seconds": handle,
        "turns": len(turns),
        "repeated_questions": repeats,
        "transfers": transfer_count,
        "first_contact_resolution": fcr,
        "components": {name: None if part is None else round(part, 4) for name, part in components.items()},
    }
    return DimensionResult(None if value is None else round(value, 2), details, evidence)
