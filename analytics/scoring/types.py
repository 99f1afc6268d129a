"""Plain data the pure scorer reads and returns (no spaCy, no database)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

DIMENSIONS = ("politeness", "efficiency", "deescalation")


@dataclass(frozen=True, slots=True)
class TurnInput:
    speaker: str  # customer | agent | bot
    text: str
    ts: datetime | None = None
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class ConversationInput:
    conversation_id: str
    turns: tuple[TurnInput, ...]
    channel: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    # The helpdesk's verdict given at import (Conversation.resolved_outcome); it wins over inference.
    resolved_outcome: bool | None = None
    # Decided by the caller, who can see other conversations: None when unknown.
    first_contact_resolution: bool | None = None


class Marker(NamedTuple):
    """One matched strategy, move or cue: what it is and where (character offsets in the turn's text; the
    evidence quotes ``turn.text[start:end]``). A named tuple: a turn makes several."""

    label: str
    pattern: str
    start: int
    end: int


class TurnAnalysis(NamedTuple):
    """What the scorer found in one turn. A named tuple: the scorer makes one per turn, and a tuple is made
    in a fraction of a dataclass's time."""

    index: int
    speaker: str
    text: str
    ts: datetime | None
    agent_id: str | None
    markers: list[Marker]
    # The mappings below are read, never changed (turns with none share one read-only empty mapping).
    label_counts: Mapping[str, int]  # the labels found (of those that matter for the speaker) and their counts
    politeness: float | None = None  # P(polite), agent and bot turns
    politeness_contributions: Mapping[str, float] = MappingProxyType({})  # label -> log-odds it added
    complaint: float | None = None  # P(complaint) = intensity, customer turns
    complaint_cues: Mapping[str, int] = MappingProxyType({})  # label -> effective count
    asked: tuple[str, ...] = ()  # information slots an agent or the bot asked for in this turn

    def has(self, label: str) -> bool:
        return bool(self.label_counts.get(label))

    def markers_of(self, *labels: str) -> list[Marker]:
        return [marker for marker in self.markers if marker.label in labels]


@dataclass(slots=True)
class DimensionResult:
    value: float | None  # 0-100, None where the dimension does not apply
    details: dict[str, Any]
    evidence: list[dict[str, Any]]


@dataclass(slots=True)
class ConversationScores:
    conversation_id: str
    politeness: DimensionResult
    efficiency: DimensionResult
    deescalation: DimensionResult
    scorer_version: str

    def dimensions(self) -> dict[str, DimensionResult]:
        return {"politeness": self.politeness, "efficiency": self.efficiency, "deescalation": self.deescalation}

    @property
    def resolved(self) -> bool:
        return bool(self.efficiency.details.get("resolved"))

    @property
    def complaint(self) -> bool:
        return bool(self.deescalation.details.get("complaint"))

    @property
    def deescalated(self) -> bool | None:
        return self.deescalation.details.get("deescalated")


class RoundingMemo:
    """``round(value, digits)`` of values that recur: a strategy's log-odds depends only on its label and count,
    a complaint intensity only on the cue counts, so the scorer rounds the same few values over and over
    (``round`` with digits costs a decimal conversion each time). Bounded: forgets everything past ``limit``."""

    def __init__(self, digits: int, limit: int = 65_536) -> None:
        self.digits, self.limit = digits, limit
        self._known: dict[float, float] = {}

    def __call__(self, value: float) -> float:
        result = self._known.get(value) if value else None  # 0.0 and -0.0 are equal keys but round apart
        if result is None:
            if len(self._known) >= self.limit:
                self._known.clear()
            result = self._known[value] = round(value, self.digits)
        return result


def evidence_item(turn: TurnAnalysis, marker: Marker, **extra: Any) -> dict[str, Any]:
    item = {"turn": turn.index, "speaker": turn.speaker, "label": marker.label, "pattern": marker.pattern,
            "start": marker.start, "end": marker.end, "text": turn.text[marker.start:marker.end]}
    item.update(extra)
    return item


def without_nested(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Evidence without spans that repeat or sit inside another span of the same turn (e.g. "ridiculous"
    inside "This is ridiculous", "!" inside "!!")."""
    kept: list[dict[str, Any]] = []
    for item in sorted(items, key=lambda entry: (entry["turn"], entry["start"], -entry["end"])):
        if kept and kept[-1]["turn"] == item["turn"] and item["end"] <= kept[-1]["end"]:
            continue
        kept.append(item)
    return kept
