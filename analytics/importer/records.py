"""Validated, typed records of one imported conversation, and the pure validation that builds them.

Validation never touches the database: the importer validates the whole file first, then writes.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analytics.storage.models import SPEAKERS
from analytics.text_safety import unsafe_text_problem
from analytics.timeutil import parse_timestamp

MAX_ID_LENGTH = 128
# 255 in the database, less the "conversation:" prefix of the survey key an NPS answer is stored under.
MAX_EXTERNAL_ID_LENGTH = 242
MAX_LABEL_LENGTH = 64
MAX_TEXT_LENGTH = 131_072  # 128 KiB, the CSV reader's field limit: one limit for both formats
# Timestamps outside these years are typos or placeholders (0001-01-01, 9999-12-31), not conversations.
FIRST_YEAR, LAST_YEAR = 1970, 2100
TIMESTAMP_EXPECTED = (f"an ISO 8601 timestamp like 2026-11-02T09:15:00Z, in the years {FIRST_YEAR} to "
                      f"{LAST_YEAR}")


class RecordError(ValueError):
    """A field of one record is missing or wrong. ``field`` is a dotted path, e.g. ``turns[2].speaker``."""

    def __init__(self, field_path: str, expected: str, got: Any = None) -> None:
        self.field = field_path
        self.expected = expected
        self.got = got
        shown = "missing" if got is _MISSING else f"got {_preview(got)}"
        super().__init__(f"field '{field_path}': expected {expected}, {shown}")


_MISSING = object()
_SPEAKER_SET = frozenset(SPEAKERS)


_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxlevel = 3  # deeply nested values are shown as [[[...]]], never walked
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 60
_SHORT_REPR.maxlong = 40  # repr of an int over 4,300 digits would raise


def _preview(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else _SHORT_REPR.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Described(str):
    """A description shown as it is in a RecordError (not quoted again)."""

    def __repr__(self) -> str:
        return str(self)


def _storable(text: str, path: str) -> str:
    """``text`` if a database can store it; else a RecordError naming the NUL or lone surrogate."""
    problem = unsafe_text_problem(text)
    if problem is not None:
        raise RecordError(path, "text without NUL characters or lone surrogates",
                          _Described(f"{problem} in {_preview(text)}"))
    return text


@dataclass(frozen=True, slots=True)
class TurnRecord:
    speaker: str
    text: str
    agent_id: str | None = None
    ts: datetime | None = None


@dataclass(frozen=True, slots=True)
class NpsRecord:
    score: int
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    conversation_id: str
    channel: str
    touchpoint: str | None
    customer_id: str | None
    segment: str | None
    started_at: datetime | None
    turns: tuple[TurnRecord, ...]
    resolved: bool | None = None
    nps: NpsRecord | None = None
    ended_at: datetime | None = field(default=None)

    @property
    def agent_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for turn in self.turns:
            if turn.agent_id:
                seen.setdefault(turn.agent_id)
        return list(seen)


def _string(raw: dict[str, Any], key: str, path: str, *, required: bool, max_length: int) -> str | None:
    value = raw.get(key, _MISSING)
    if value is _MISSING or value is None or value == "":
        if required:
            raise RecordError(path, "a non-empty string", value)
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RecordError(path, "a string", value)
    try:
        text = str(value).strip()
    except ValueError:  # an int too long to convert
        raise RecordError(path, f"at most {max_length} characters", "a number of over 4,300 digits") from None
    if not text:
        if required:
            raise RecordError(path, "a non-empty string", value)
        return None
    if len(text) > max_length:
        raise RecordError(path, f"at most {max_length} characters", f"{len(text)} characters")
    return _storable(text, path)


def _timestamp(raw: dict[str, Any], key: str, path: str, *, required: bool) -> datetime | None:
    value = raw.get(key, _MISSING)
    if value is _MISSING or value is None or value == "":
        if required:
            raise RecordError(path, TIMESTAMP_EXPECTED, value)
        return None
    if not isinstance(value, str):
        raise RecordError(path, TIMESTAMP_EXPECTED, value)
    try:
        parsed = parse_timestamp(value)  # ValueError also when the offset moves it out of datetime's range
    except ValueError:
        raise RecordError(path, TIMESTAMP_EXPECTED, value) from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise RecordError(path, TIMESTAMP_EXPECTED, value)
    return parsed


def parse_turn(raw: Any, path: str) -> TurnRecord:
    if not isinstance(raw, dict):
        raise RecordError(path, "an object with speaker and text", raw)
    speaker = raw.get("speaker", _MISSING)
    if type(speaker) is not str or speaker not in _SPEAKER_SET:
        raise RecordError(f"{path}.speaker", "one of " + "|".join(SPEAKERS), speaker)
    text = raw.get("text", _MISSING)
    if type(text) is not str:
        raise RecordError(f"{path}.text", "a string", text)
    if len(text) > MAX_TEXT_LENGTH:
        raise RecordError(f"{path}.text", f"at most {MAX_TEXT_LENGTH} characters", f"{len(text)} characters")
    _storable(text, f"{path}.text")
    agent_id = raw.get("agent_id")
    if agent_id is not None:
        agent_id = _string(raw, "agent_id", f"{path}.agent_id", required=False, max_length=MAX_ID_LENGTH)
        if agent_id is not None and speaker != "agent":
            raise RecordError(f"{path}.agent_id", "no agent_id on a customer or bot turn", agent_id)
    ts = raw.get("ts")
    if ts is not None:
        ts = _timestamp(raw, "ts", f"{path}.ts", required=False)
    return TurnRecord(speaker, text, agent_id, ts)


def parse_nps(raw: Any, path: str = "nps") -> NpsRecord | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise RecordError(path, "an object {score, comment}", raw)
    score = raw.get("score", _MISSING)
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise RecordError(f"{path}.score", "a whole number from 0 to 10", score)
    comment = raw.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise RecordError(f"{path}.comment", "a string", comment)
    if comment is not None:
        if len(comment) > MAX_TEXT_LENGTH:
            raise RecordError(f"{path}.comment", f"at most {MAX_TEXT_LENGTH} characters", f"{len(comment)} characters")
        _storable(comment, f"{path}.comment")
    return NpsRecord(score=score, comment=comment or None)


def parse_outcome(raw: Any, path: str = "outcome") -> bool | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise RecordError(path, 'an object like {"resolved": true}', raw)
    resolved = raw.get("resolved")
    if resolved is not None and not isinstance(resolved, bool):
        raise RecordError(f"{path}.resolved", "true or false", resolved)
    return resolved


def parse_conversation(raw: Any) -> ConversationRecord:
    """Validate one JSON Lines record. Unknown keys are ignored."""
    if not isinstance(raw, dict):
        raise RecordError("(line)", "a JSON object", raw)
    conversation_id = _string(raw, "conversation_id", "conversation_id", required=True,
                              max_length=MAX_EXTERNAL_ID_LENGTH)
    channel = _string(raw, "channel", "channel", required=True, max_length=32)
    touchpoint = _string(raw, "touchpoint", "touchpoint", required=False, max_length=MAX_LABEL_LENGTH * 2)
    customer_id = _string(raw, "customer_id", "customer_id", required=False, max_length=MAX_ID_LENGTH)
    segment = _string(raw, "segment", "segment", required=False, max_length=MAX_LABEL_LENGTH)
    started_at = _timestamp(raw, "started_at", "started_at", required=False)
    ended_at = _timestamp(raw, "ended_at", "ended_at", required=False)
    turns_raw = raw.get("turns", _MISSING)
    if not isinstance(turns_raw, list) or not turns_raw:
        raise RecordError("turns", "a non-empty list of turns", turns_raw)
    turns = tuple(parse_turn(turn, f"turns[{index}]") for index, turn in enumerate(turns_raw))
    resolved = parse_outcome(raw.get("outcome"))
    nps = parse_nps(raw.get("nps"))
    if started_at is None:
        started_at = next((turn.ts for turn in turns if turn.ts is not None), None)
    if ended_at is None:
        ended_at = next((turn.ts for turn in reversed(turns) if turn.ts is not None), None)
    return ConversationRecord(
        conversation_id=conversation_id,  # type: ignore[arg-type]
        channel=channel.lower(),  # type: ignore[union-attr]
        touchpoint=touchpoint,
        customer_id=customer_id,
        segment=segment,
        started_at=started_at,
        ended_at=ended_at,
        turns=turns,
        resolved=resolved,
        nps=nps,
    )
