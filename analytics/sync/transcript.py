"""Turn a sender's tracker events into conversation transcripts: one per Rasa session. Pure, no I/O.

Rules (what a reader of the chat saw):
- ``user`` events are the customer's turns, ``bot`` events the bot's; other events only give context.
- Triggers from outside (``EXTERNAL_...`` intents, e.g. the scheduler's NPS survey) are not customer turns.
- A button click arrives as its payload: when it matches a button of the bot's last message, the turn shows
  the button's title ("Yes, it works"), as the customer saw it. A ``/intent`` payload that matches no
  button is the widget's own start-up message (``initPayload``), not something the customer wrote: skipped.
- Intents reverted by a ``rewind`` (Rasa's fallback) do not count for the touchpoint; the turn stays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from analytics.bot_data.conversations import conversation_key
from analytics.sync.tracker_events import TrackerEvent

EXTERNAL_INTENT_PREFIX = "EXTERNAL_"
EXTERNAL_TEXT_PREFIX = "EXTERNAL: "
SESSION_START_ACTION = "action_session_start"
CUSTOMER_ID_MAX = 128


@dataclass(frozen=True)
class TranscriptTurn:
    speaker: str  # "customer" or "bot"
    text: str
    ts: datetime | None


@dataclass
class SessionTranscript:
    sender_id: str
    session_started_at: float | None  # Rasa timestamp (Unix seconds) of the session_started event
    turns: list[TranscriptTurn] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)  # the customer's, for the touchpoint
    customer_id: str | None = None
    first_event_at: datetime | None = None
    last_event_at: datetime | None = None

    @property
    def external_id(self) -> str:
        return conversation_key(self.sender_id, self.session_started_at)

    @property
    def started_at(self) -> datetime | None:
        if self.session_started_at is not None:
            return from_unix(self.session_started_at)
        return self.first_event_at

    @property
    def ended_at(self) -> datetime | None:
        stamps = [turn.ts for turn in self.turns if turn.ts is not None]
        return max(stamps) if stamps else self.last_event_at

    @property
    def has_customer_turn(self) -> bool:
        return any(turn.speaker == "customer" for turn in self.turns)


def from_unix(timestamp: float | None) -> datetime | None:
    """Rasa's Unix timestamps as our naive-UTC datetimes."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(float(timestamp), timezone.utc).replace(tzinfo=None)


def split_sessions(events: Sequence[TrackerEvent]) -> list[list[TrackerEvent]]:
    """Consecutive events of one sender, cut where a session begins.

    Rasa opens a session with ``action_session_start`` immediately followed by ``session_started``: the cut
    goes before the pair, so the action does not trail the previous session as a chunk of its own.
    """
    sessions: list[list[TrackerEvent]] = []
    for event in events:
        opens_session = event.type_name == "action" and event.action_name == SESSION_START_ACTION
        if event.type_name == "session_started":
            after_opening_action = (
                bool(sessions)
                and len(sessions[-1]) == 1
                and (sessions[-1][0].type_name == "action" and sessions[-1][0].action_name == SESSION_START_ACTION)
            )
            opens_session = not after_opening_action
        if opens_session or not sessions:
            sessions.append([])
        sessions[-1].append(event)
    return sessions


def is_external_trigger(event: TrackerEvent) -> bool:
    metadata = event.data.get("metadata")
    if isinstance(metadata, Mapping) and metadata.get("is_external"):
        return True
    intent = event.intent_name or ""
    text = str(event.data.get("text") or "")
    return intent.startswith(EXTERNAL_INTENT_PREFIX) and text.startswith(EXTERNAL_TEXT_PREFIX)


def button_titles(bot_event: TrackerEvent) -> dict[str, str]:
    """payload -> title of the buttons (or quick replies) a bot message offered."""
    data = bot_event.data.get("data")
    buttons: Iterable[Any] = []
    if isinstance(data, Mapping):
        buttons = data.get("buttons") or data.get("quick_replies") or []
    titles = {}
    for button in buttons:
        if isinstance(button, Mapping) and button.get("payload") is not None:
            titles[str(button["payload"])] = str(button.get("title") or button["payload"])
    return titles


def customer_from_metadata(metadata: Any) -> str | None:
    """The widget's ``customData.customer_id`` (a signed-in customer), if it sent one."""
    if not isinstance(metadata, Mapping):
        return None
    for holder in (metadata, metadata.get("customData")):
        if isinstance(holder, Mapping) and holder.get("customer_id"):
            return str(holder["customer_id"])[:CUSTOMER_ID_MAX]
    return None


def build_transcript(sender_id: str, session_events: Sequence[TrackerEvent]) -> SessionTranscript:
    """One session's transcript (``session_events`` start with its ``session_started`` event, if any)."""
    started = next((event for event in session_events if event.type_name == "session_started"), None)
    transcript = SessionTranscript(
        sender_id=sender_id,
        session_started_at=started.timestamp if started else _first_timestamp(session_events),
    )
    stamps = [event.timestamp for event in session_events if event.timestamp is not None]
    transcript.first_event_at = from_unix(min(stamps)) if stamps else None
    transcript.last_event_at = from_unix(max(stamps)) if stamps else None
    offered_buttons: dict[str, str] = {}
    customer_ids: list[str] = []
    for event in session_events:
        if event.type_name == "session_started":
            customer_ids.append(customer_from_metadata(event.data.get("metadata")) or "")
        elif event.type_name == "bot":
            offered_buttons = button_titles(event)
            text = str(event.data.get("text") or "").strip()
            if text:
                transcript.turns.append(TranscriptTurn("bot", text, from_unix(event.timestamp)))
        elif event.type_name == "user":
            if is_external_trigger(event):
                continue
            customer_ids.append(customer_from_metadata(event.data.get("metadata")) or "")
            text = str(event.data.get("text") or "").strip()
            if text in offered_buttons:
                text = offered_buttons[text]
            elif text.startswith("/"):
                continue  # the widget's initPayload, not typed by the customer
            offered_buttons = {}
            if text:
                transcript.turns.append(TranscriptTurn("customer", text, from_unix(event.timestamp)))
            transcript.intents.append(event.intent_name or "")
        elif event.type_name == "rewind" and transcript.intents:
            transcript.intents.pop()
    transcript.customer_id = next((value for value in customer_ids if value), None) or sender_id[:CUSTOMER_ID_MAX]
    return transcript


def _first_timestamp(events: Sequence[TrackerEvent]) -> float | None:
    return next((event.timestamp for event in events if event.timestamp is not None), None)


def transcripts_for_sender(sender_id: str, events: Sequence[TrackerEvent]) -> list[SessionTranscript]:
    return [build_transcript(sender_id, session) for session in split_sessions(events)]
