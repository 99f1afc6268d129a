"""The in-bot NPS survey: start (one per conversation, throttled per customer), validate answers, record.

Flow (rules in nlu_data/rules/nps.yml): the end of a conversation runs ``action_start_nps_survey``; when it
sets ``nps_eligible`` the ``nps_form`` asks for the score (0-10 buttons, free text parsed by
analytics.nps.answers) and the reason ("skip" allowed), then ``action_submit_nps`` records the outcome.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_intent, slot_text
from actions.services.conversation import conversation_id, conversation_touchpoint, customer_id
from actions.services.db import BackendUnavailable, transaction
from actions.services.knowledge import get_knowledge
from actions.services.survey import SurveyContext, decide_and_record, submit
from analytics.nps.answers import parse_nps_answer
from analytics.timeutil import iso_utc, parse_timestamp, utcnow

logger = logging.getLogger(__name__)

DECLINE_INTENTS = {"deny", "stop", "goodbye"}
SURVEY_SLOTS_RESET = ("nps_score", "nps_comment", "nps_status", "nps_step_aside")


def step_aside_intent(tracker: Tracker) -> str | None:
    """The intent of a clear new request made instead of answering the survey, else None."""
    settings = get_knowledge().survey
    intent = (tracker.latest_message or {}).get("intent") or {}
    name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
    if name in settings.step_aside and confidence >= settings.step_aside_min_confidence:
        return str(name)
    return None


def survey_context(tracker: Tracker) -> SurveyContext:
    agent = slot_text(tracker, "nps_agent_id")
    return SurveyContext(survey_key=conversation_id(tracker), customer_id=customer_id(tracker),
                         touchpoint=conversation_touchpoint(tracker), agent_ids=(agent,) if agent else ())


class ActionStartNpsSurvey(Action):
    """Sets ``nps_eligible``; when not eligible, closes the conversation as the trigger asks."""

    def name(self) -> str:
        return "action_start_nps_survey"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        context = survey_context(tracker)
        now = utcnow()
        if tracker.get_slot("nps_done_key") == context.survey_key:
            decision = "already_surveyed"
        else:
            try:
                with transaction() as session:
                    decision = decide_and_record(session, context, now)
            except (BackendUnavailable, ValueError) as exc:
                # The answer is spooled if the database is still down; asking once more is harmless.
                logger.warning("NPS eligibility not checked for %s: %s", context.survey_key, exc)
                decision = "ask"
        if decision != "ask":
            settings = get_knowledge().survey
            closing = settings.closing_responses.get(latest_intent(tracker) or "", settings.default_closing_response)
            if closing:
                dispatcher.utter_message(response=closing)
            return [SlotSet("nps_eligible", False)]
        return [SlotSet("nps_eligible", True), SlotSet("nps_asked_at", iso_utc(now)),
                SlotSet("nps_invalid_answers", 0), *(SlotSet(name, None) for name in SURVEY_SLOTS_RESET)]


class ValidateNpsForm(FormValidationAction):
    def name(self) -> str:
        return "validate_nps_form"

    def validate_nps_score(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by action_start_nps_survey in this turn: not an answer
            return {"nps_score": None}
        answer = parse_nps_answer(str(value))
        if answer.score is not None:
            return {"nps_score": answer.score, "nps_status": "answered"}
        intent = (tracker.latest_message or {}).get("intent") or {}
        if intent.get("name") in DECLINE_INTENTS and float(intent.get("confidence") or 0.0) >= \
                get_knowledge().survey.decline_min_confidence:
            return {"nps_score": None, "nps_status": "declined", "requested_slot": None}
        request = step_aside_intent(tracker)
        if request is not None:
            return {"nps_score": None, "nps_status": "abandoned", "nps_step_aside": request, "requested_slot": None}
        invalid = int(tracker.get_slot("nps_invalid_answers") or 0) + 1
        if invalid > get_knowledge().survey.max_reasks:
            return {"nps_score": None, "nps_status": "abandoned", "nps_invalid_answers": invalid,
                    "requested_slot": None}
        dispatcher.utter_message(response="utter_nps_hint", hint=answer.hint or "")
        return {"nps_score": None, "nps_invalid_answers": invalid}

    def validate_nps_comment(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {"nps_comment": None}
        settings = get_knowledge().survey
        comment = " ".join(str(value).split())
        if comment.lower().strip(" .!") in settings.skip_answers or not comment:
            return {"nps_comment": ""}  # filled, so the form ends; stored as no comment
        return {"nps_comment": comment[: settings.max_comment_chars]}


class ActionSubmitNps(Action):
    def name(self) -> str:
        return "action_submit_nps"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        context = survey_context(tracker)
        score = tracker.get_slot("nps_score")
        status = tracker.get_slot("nps_status") or ("answered" if score is not None else "abandoned")
        asked_at_text = slot_text(tracker, "nps_asked_at")
        asked_at = parse_timestamp(asked_at_text) if asked_at_text else None
        outcome = submit(context, status=status, score=int(score) if score is not None else None,
                         comment=slot_text(tracker, "nps_comment"), asked_at=asked_at, now=utcnow())
        logger.info("NPS survey %s: %s (%s)", context.survey_key, status, outcome)
        events: list[EventType] = [SlotSet("nps_done_key", context.survey_key), SlotSet("nps_invalid_answers", 0),
                                   *(SlotSet(name, None) for name in SURVEY_SLOTS_RESET)]
        request = slot_text(tracker, "nps_step_aside")
        follow_up = get_knowledge().survey.step_aside.get(request or "")
        if follow_up:  # the customer asked for something else: do it, without a word about the survey
            return [*events, FollowupAction(follow_up)]
        response = {"answered": "utter_nps_thanks", "declined": "utter_nps_declined"}.get(status,
                                                                                          "utter_nps_abandoned")
        dispatcher.utter_message(response=response)
        return events
