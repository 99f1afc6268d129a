"""Small helpers shared by the action modules (slot reading, date wording)."""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Tracker

# Every custom action returns at least one event (a slot), never only messages: that is how the action
# server guard policy (bot/policies/action_server_guard.py) tells a failed call from a quiet action, and
# what test stories write down after each custom action.

# Outcome of the last action that needed the database; rules branch on it (see nlu_data/rules/).
BACKEND_RESULT_SLOT = "backend_result"
BACKEND_OK, BACKEND_NOT_FOUND, BACKEND_UNAVAILABLE = "ok", "not_found", "unavailable"


def latest_intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def slot_text(tracker: Tracker, name: str) -> str | None:
    value: Any = tracker.get_slot(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def long_date(day: date) -> str:
    """"15 June 2028": unambiguous for customers on both sides of the Atlantic."""
    return f"{day.day} {day:%B %Y}"


FORM_FAILURES_SLOT = "form_failures"
FAILURES_BEFORE_ALTERNATIVES = 2


def form_failure(tracker: Tracker) -> tuple[int, bool]:
    """One more answer that did not fit the form's question: the new count, and whether to offer the
    alternatives now (on the second miss in a row, so a customer is never asked the same thing forever)."""
    failures = int(tracker.get_slot(FORM_FAILURES_SLOT) or 0) + 1
    return failures, failures >= FAILURES_BEFORE_ALTERNATIVES
