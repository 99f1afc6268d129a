"""Read the current conversation out of a Rasa tracker: session start, customer, customer messages.

A conversation is one Rasa session: the events after the last ``session_started`` event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker

from analytics.bot_data.conversations import conversation_key
from analytics.bot_data.touchpoints import touchpoint_for_intents

EXTERNAL_PREFIX = "EXTERNAL_"


@dataclass(frozen=True)
class CustomerMessage:
    intent: str | None
    text: str


def current_session_events(events: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "session_started":
            return list(events[index:])
    return list(events)


def session_started_at(events: Sequence[Mapping[str, Any]]) -> float | None:
    """When the current session started (Unix seconds); the first event's time when no session event exists."""
    session = current_session_events(events)
    for event in session:
        if event.get("timestamp") is not None:
            return float(event["timestamp"])
    return None


def customer_messages(events: Sequence[Mapping[str, Any]]) -> list[CustomerMessage]:
    """The customer's messages in the current session, oldest first (external triggers left out)."""
    messages: list[CustomerMessage] = []
    for event in current_session_events(events):
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent and intent.startswith(EXTERNAL_PREFIX):
                continue
            messages.append(CustomerMessage(intent, str(event.get("text") or "")))
        elif event.get("event") == "rewind" and messages:
            messages.pop()  # a user utterance reverted by the fallback loop
    return messages


def _metadata_customer(metadata: Any) -> str | None:
    if not isinstance(metadata, Mapping):
        return None
    for holder in (metadata, metadata.get("customData")):
        if isinstance(holder, Mapping) and holder.get("customer_id"):
            return str(holder["customer_id"])[:128]
    return None


def customer_id(tracker: Tracker) -> str:
    """The widget's ``customData.customer_id`` when it gave one, else the Rasa sender id."""
    from_session = _metadata_customer(tracker.get_slot("session_started_metadata"))
    from_message = _metadata_customer((tracker.latest_message or {}).get("metadata"))
    return from_session or from_message or str(tracker.sender_id)[:128]


def conversation_id(tracker: Tracker) -> str:
    """This conversation's key: the NPS survey key and the synced Conversation's external id."""
    return conversation_key(str(tracker.sender_id), session_started_at(tracker.events))


def conversation_touchpoint(tracker: Tracker) -> str:
    return touchpoint_for_intents(message.intent for message in customer_messages(tracker.events))
