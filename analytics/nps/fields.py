"""The validated fields of one survey outcome, and their JSON form (for the spool). Pure: no database."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from analytics.storage.models import CHANNELS, NPS_STATUSES
from analytics.text_safety import clean_text
from analytics.timeutil import iso_utc, parse_timestamp

MAX_SOURCE_LENGTH = 64
MAX_KEY_LENGTH = 255
MAX_ID_LENGTH = 128
MAX_TOUCHPOINT_LENGTH = 128
MAX_SEGMENT_LENGTH = 64


_MISSING: Any = object()


class SurveyFieldError(ValueError):
    """One field is wrong: ``field`` (e.g. ``score``, ``agent_ids[1]``), what was ``expected`` and what was ``got``."""

    def __init__(self, field: str, expected: str, got: Any = _MISSING) -> None:
        self.field = field
        self.expected = expected
        self.got = got
        shown = "" if got is _MISSING else f", got {_preview(got)}"
        super().__init__(f"{field} must be {expected}{shown}")


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True, slots=True)
class SurveyFields:
    """One survey outcome, checked and normalised (stripped strings, naive UTC datetimes, unique agents)."""

    source: str
    survey_key: str
    status: str
    responded_at: datetime
    score: int | None = None
    comment: str | None = None
    customer_id: str | None = None
    conversation_external_id: str | None = None
    touchpoint: str | None = None
    channel: str | None = None
    agent_ids: tuple[str, ...] = ()
    asked_at: datetime | None = None
    segment: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["agent_ids"] = list(self.agent_ids)
        data["responded_at"] = iso_utc(self.responded_at)
        data["asked_at"] = iso_utc(self.asked_at)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SurveyFields:
        return validate_survey_fields(**data)


def _text(name: str, value: Any, *, required: bool, max_length: int | None) -> str | None:
    if value is None:
        if required:
            raise SurveyFieldError(name, "a non-empty string", value)
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise SurveyFieldError(name, "a string", value)
    text = clean_text(str(value)).strip()  # answers come from the chat: cleaned, never refused
    if not text:
        if required:
            raise SurveyFieldError(name, "a non-empty string", value)
        return None
    if max_length is not None and len(text) > max_length:
        raise SurveyFieldError(name, f"at most {max_length} characters", f"{len(text)} characters")
    return text


def as_naive_utc(name: str, value: Any, *, required: bool) -> datetime | None:
    """A datetime (aware ones converted to UTC), an ISO 8601 string, or epoch seconds (Rasa event times)."""
    expected = "a datetime or an ISO 8601 timestamp like 2026-11-02T09:15:00Z"
    if value is None or value == "":
        if required:
            raise SurveyFieldError(name, expected, value)
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, bool):
        raise SurveyFieldError(name, expected, value)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc).replace(tzinfo=None)
    if isinstance(value, str):
        try:
            return parse_timestamp(value)
        except ValueError:
            raise SurveyFieldError(name, expected, value) from None
    raise SurveyFieldError(name, expected, value)


def validate_survey_fields(
    *,
    source: Any,
    survey_key: Any,
    status: Any,
    responded_at: Any,
    score: Any = None,
    comment: Any = None,
    customer_id: Any = None,
    conversation_external_id: Any = None,
    touchpoint: Any = None,
    channel: Any = None,
    agent_ids: Any = (),
    asked_at: Any = None,
    segment: Any = None,
) -> SurveyFields:
    """Check one survey outcome; a ``SurveyFieldError`` (a ``ValueError``) names the field and what was expected."""
    if status not in NPS_STATUSES:
        raise SurveyFieldError("status", "one of " + "|".join(NPS_STATUSES), status)
    if status == "answered":
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
            raise SurveyFieldError("score", "a whole number from 0 to 10 for an answered survey", score)
    elif score is not None:
        raise SurveyFieldError("score", f"empty for a {status} survey", score)
    if comment is not None and not isinstance(comment, str):
        raise SurveyFieldError("comment", "a string", comment)
    channel_text = _text("channel", channel, required=False, max_length=32)
    if channel_text is not None and channel_text not in CHANNELS:
        raise SurveyFieldError("channel", "one of " + "|".join(CHANNELS), channel_text)
    if agent_ids is None:
        agent_ids = ()
    if isinstance(agent_ids, str) or not isinstance(agent_ids, (list, tuple)):
        raise SurveyFieldError("agent_ids", "a list of strings", agent_ids)
    agents: dict[str, None] = {}
    for position, agent_id in enumerate(agent_ids):
        agent = _text(f"agent_ids[{position}]", agent_id, required=True, max_length=MAX_ID_LENGTH)
        agents.setdefault(agent or "")
    responded = as_naive_utc("responded_at", responded_at, required=True)
    asked = as_naive_utc("asked_at", asked_at, required=False)
    assert responded is not None
    if asked is not None and asked > responded:
        raise SurveyFieldError("asked_at", f"no later than responded_at ({responded.isoformat()})", asked.isoformat())
    return SurveyFields(
        source=_text("source", source, required=True, max_length=MAX_SOURCE_LENGTH) or "",
        survey_key=_text("survey_key", survey_key, required=True, max_length=MAX_KEY_LENGTH) or "",
        status=status,
        responded_at=responded,
        score=score,
        comment=(clean_text(comment).strip() or None) if comment else None,
        customer_id=_text("customer_id", customer_id, required=False, max_length=MAX_ID_LENGTH),
        conversation_external_id=_text(
            "conversation_external_id", conversation_external_id, required=False, max_length=MAX_KEY_LENGTH
        ),
        touchpoint=_text("touchpoint", touchpoint, required=False, max_length=MAX_TOUCHPOINT_LENGTH),
        channel=channel_text,
        agent_ids=tuple(agents),
        asked_at=asked,
        segment=_text("segment", segment, required=False, max_length=MAX_SEGMENT_LENGTH),
    )
