"""Where a bot conversation stands with its NPS survey, from its tracker events. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Sequence

from analytics.scheduler.settings import SurveyNames
from analytics.sync.tracker_events import TrackerEvent
from analytics.sync.transcript import build_transcript


def survey_started(session_events: Sequence[TrackerEvent], names: SurveyNames) -> bool:
    """True once the session ran (or is running, or declined) the survey, or the trigger was already sent."""
    for event in session_events:
        if event.type_name == "action" and event.action_name in names.actions:
            return True
        if event.type_name == "active_loop" and event.data.get("name") in names.active_loops:
            return True
        if event.type_name == "user" and event.intent_name in names.intents:
            return True
    return False


def customer_spoke(sender_id: str, session_events: Sequence[TrackerEvent]) -> bool:
    """Whether the customer wrote anything in the session (opening the widget is not a conversation)."""
    return build_transcript(sender_id, session_events).has_customer_turn


def should_survey(sender_id: str, session_events: Sequence[TrackerEvent], names: SurveyNames) -> bool:
    return customer_spoke(sender_id, session_events) and not survey_started(session_events, names)
