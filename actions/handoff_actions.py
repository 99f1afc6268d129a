"""Handing over to a human, and the two-stage fallback's custom steps (describe the guess, give up)."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_intent, slot_text
from actions.services.conversation import conversation_touchpoint, customer_messages
from actions.services.db import BackendUnavailable, transaction
from actions.services.handoff import open_ticket, reason_for_intent, summarize
from actions.services.knowledge import get_knowledge
from analytics.timeutil import utcnow

TWO_STAGE_FALLBACK = "action_two_stage_fallback"
NOT_A_GUESS = {"out_of_scope", "non_english", "inform", "affirm", "deny"}


def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[EventType]:
    """Open a HandoffTicket with a summary and tell the customer the ticket number and response time."""
    knowledge = get_knowledge()
    details = {
        "product": slot_text(tracker, "product"),
        "serial": slot_text(tracker, "claim_serial") or slot_text(tracker, "warranty_reference"),
        "claim": slot_text(tracker, "claim_number"),
        "asked about": (slot_text(tracker, "warranty_topic") or "").replace("_", " ") or None,
    }
    summary = summarize(touchpoint=conversation_touchpoint(tracker), reason=reason, details=details,
                        messages=customer_messages(tracker.events), settings=knowledge.handoff)
    try:
        with transaction() as session:
            ticket = open_ticket(session, sender_id=tracker.sender_id, reason=reason, summary=summary,
                                 now=utcnow())
    except BackendUnavailable:
        dispatcher.utter_message(response="utter_handoff_unavailable", contact=knowledge.handoff.fallback_contact)
        return [SlotSet("handoff_ticket", None)]
    dispatcher.utter_message(response="utter_handoff_created", ticket=ticket.ticket_number,
                             expected_response=knowledge.handoff.expected_response)
    return [SlotSet("handoff_ticket", ticket.ticket_number)]


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reason = reason_for_intent(latest_intent(tracker), get_knowledge().handoff)
        return hand_off(dispatcher, tracker, reason)


class ActionDefaultFallback(Action):
    """Replaces Rasa's default: after the two-stage fallback failed twice, a human takes over.

    Outside that loop (the dialogue policies were unsure), ask to rephrase as Rasa's default would.
    """

    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.active_loop.get("name") == TWO_STAGE_FALLBACK:
            dispatcher.utter_message(response="utter_fallback_handoff")
            return [*hand_off(dispatcher, tracker, "repeated_failure"), UserUtteranceReverted()]
        dispatcher.utter_message(response="utter_default")
        return [UserUtteranceReverted()]


class ActionDefaultAskAffirmation(Action):
    """Replaces Rasa's "Did you mean 'intent_name'?" with a readable guess from bot/knowledge/intents.yml."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        descriptions = get_knowledge().intent_descriptions
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        guess = next((item.get("name") for item in ranking if item.get("name") != "nlu_fallback"), None)
        if guess is None or guess in NOT_A_GUESS or guess not in descriptions:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        dispatcher.utter_message(response="utter_ask_affirmation", guess=descriptions[guess],
                                 buttons=[{"title": "Yes", "payload": f"/{guess}"},
                                          {"title": "No, something else", "payload": "/out_of_scope"}])
        return []
