"""Resolution efficiency of one conversation: resolved, response and handle times, repeated questions,
transfers, first-contact resolution, and a 0-100 score. Pure (first-contact resolution comes decided by the
caller, who can see the customer's other conversations)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from analytics.scoring import resources
from analytics.scoring.types import ConversationInput, DimensionResult, TurnAnalysis, evidence_item

CUSTOMER = "customer"


class _Config:
    """``efficiency.yml``, read once into the shapes the scoring wants."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.points = {str(name): float(value) for name, value in data["points"].items()}
        self.first_response = {str(channel): (float(target["good"]), float(target["poor"]))
                               for channel, target in data["first_response_seconds"].items()}
        self.handle = {str(channel): (float(target["good"]), float(target["poor"]))
                       for channel, target in data["handle_seconds"].items()}
        self.repeated_question_penalty = float(data["repeated_question_penalty"])
        self.transfer_penalty = float(data["transfer_penalty"])
        self.free_transfers = int(data["free_transfers"])


@lru_cache(maxsize=1)
def _config() -> _Config:
    return _Config(resources.load_yaml(resources.EFFICIENCY_FILE))


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return max(0.0, (later - earlier).total_seconds())


def _median(values: list[float]) -> float:
    """``statistics.median``, without its overhead."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def resolution(conversation: ConversationInput, turns: Sequence[TurnAnalysis]) -> tuple[bool, str, list[dict]]:
    """(resolved, basis, evidence). The import's outcome wins; else the customer's confirmation that is not
    followed by a reopening; else a concrete remedy with no reopening after it."""
    if conversation.resolved_outcome is not None:
        return conversation.resolved_outcome, "outcome", []
    last_reopen = -1
    for turn in turns:  # label_counts holds only the labels that occurred
        if turn.speaker == CUSTOMER and "REOPEN" in turn.label_counts:
            last_reopen = turn.index
    for turn in reversed(turns):
        if turn.index <= last_reopen:
            break
        if turn.speaker == CUSTOMER and "CONFIRMATION" in turn.label_counts:
            return True, "confirmation", [evidence_item(turn, m) for m in turn.markers_of("CONFIRMATION")]
    for turn in reversed(turns):
        if turn.index <= last_reopen:
            break
        if turn.speaker != CUSTOMER and "REMEDY" in turn.label_counts:
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
        if turn.speaker == CUSTOMER:
            if not waiting:
                waiting, waiting_since = True, turn.ts
            continue
        if waiting:
            waiting = False
            if turn.ts is None or waiting_since is None:
                continue
            wait = max(0.0, (turn.ts - waiting_since).total_seconds())
            if first_response is None:
                first_response = wait
            if turn.speaker == "agent":
                agent_waits.append(wait)
    return first_response, _median(agent_waits) if agent_waits else None


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
    changes = 0
    previous = None
    evidence = []
    announced = 0
    for turn in turns:
        if turn.speaker == CUSTOMER:
            continue
        responder = (turn.speaker, turn.agent_id)
        if previous is not None and responder != previous:
            changes += 1
        previous = responder
        if "TRANSFER" in turn.label_counts:
            announced += 1
            evidence += [evidence_item(turn, m) for m in turn.markers_of("TRANSFER")]
    return max(changes, announced), evidence


def _linear(value: float | None, target: tuple[float, float]) -> float | None:
    if value is None:
        return None
    good, poor = target
    return max(0.0, min(1.0, (poor - value) / (poor - good)))


def score_efficiency(conversation: ConversationInput, turns: Sequence[TurnAnalysis]) -> DimensionResult:
    config = _config()
    resolved, basis, evidence = resolution(conversation, turns)
    first_response, median_agent = response_times(turns)
    start, end = conversation.started_at, conversation.ended_at
    if not start or not end:
        stamps = [turn.ts for turn in turns if turn.ts is not None]
        start = start or (min(stamps) if stamps else None)
        end = end or (max(stamps) if stamps else None)
    handle = _seconds(end, start)
    repeats, repeat_evidence = repeated_questions(turns)
    transfer_count, transfer_evidence = transfers(turns)
    evidence += repeat_evidence + transfer_evidence
    fcr = conversation.first_contact_resolution
    channel = conversation.channel or "default"
    components: dict[str, float | None] = {
        "resolved": 1.0 if resolved else 0.0,
        "first_contact_resolution": None if fcr is None else float(fcr),
        "first_response": _linear(first_response, config.first_response.get(channel, config.first_response["default"])),
        "handle_time": _linear(handle, config.handle.get(channel, config.handle["default"])),
        "repeated_questions": max(0.0, 1.0 - config.repeated_question_penalty * repeats),
        "transfers": max(0.0, 1.0 - config.transfer_penalty * max(0, transfer_count - config.free_transfers)),
    }
    points = config.points
    total = weighted = 0.0
    for name, part in components.items():
        if part is not None:
            total += points[name]
            weighted += points[name] * part
    value = 100 * weighted / total if total else None
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
