"""Warranty: policy answers from the knowledge files, and the warranty status lookup form."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    BACKEND_NOT_FOUND,
    BACKEND_OK,
    BACKEND_RESULT_SLOT,
    BACKEND_UNAVAILABLE,
    FORM_FAILURES_SLOT,
    form_failure,
    latest_intent,
    long_date,
    slot_text,
)
from actions.services.db import BackendUnavailable, transaction
from actions.services.knowledge import get_knowledge, match_product
from actions.services.references import format_hint, parse_reference
from actions.services.warranty import find_units
from analytics.timeutil import utcnow

POLICY_BY_INTENT = {
    "ask_accidental_damage": "accidental_damage",
    "ask_extended_warranty": "extended_warranty",
    "ask_claim_process": "how_to_claim",
}


class ActionAnswerWarrantyQuestion(Action):
    """What is covered and for how long, accidental damage, extended warranty, how to claim."""

    def name(self) -> str:
        return "action_answer_warranty_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        knowledge = get_knowledge()
        intent = latest_intent(tracker)
        product = match_product(slot_text(tracker, "product"))
        if intent in POLICY_BY_INTENT:
            topic = POLICY_BY_INTENT[intent]
            response = "utter_claim_process" if intent == "ask_claim_process" else "utter_policy"
            dispatcher.utter_message(response=response, policy=knowledge.general_policies[topic])
            return [SlotSet("warranty_topic", topic)]
        if product is not None:
            policy = knowledge.policies[product.id]
            dispatcher.utter_message(response="utter_coverage_product", product=product.name,
                                     months=policy.warranty_months, covered=policy.covered,
                                     not_covered=policy.not_covered)
        else:
            overview = "\n".join(f"- {p.name} ({p.category}): {knowledge.policies[p.id].warranty_months} months"
                                 for p in knowledge.products.values())
            dispatcher.utter_message(response="utter_coverage_overview", overview=overview)
        return [SlotSet("warranty_topic", "coverage")]


class ValidateWarrantyStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_warranty_status_form"

    def validate_warranty_reference(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not typed by the customer
            return {"warranty_reference": None}
        reference = parse_reference(str(value))
        if reference is None:
            hint = f"{format_hint('serial_number')} {format_hint('order_number')}"
            dispatcher.utter_message(response="utter_reference_hint", hint=hint)
            failures, offer_alternatives = form_failure(tracker)
            if offer_alternatives:
                dispatcher.utter_message(response="utter_reference_alternatives")
            return {"warranty_reference": None, FORM_FAILURES_SLOT: failures}
        return {"warranty_reference": reference.value, FORM_FAILURES_SLOT: 0}


class ActionCheckWarrantyStatus(Action):
    """Covered until DATE / expired on DATE / not found, for a serial number or every unit of an order."""

    def name(self) -> str:
        return "action_check_warranty_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        knowledge = get_knowledge()
        reference = parse_reference(slot_text(tracker, "warranty_reference"))
        events: list[EventType] = [SlotSet("warranty_reference", None)]  # the next lookup asks again
        if reference is None:  # the form validated it; only reachable if the slot was set from outside
            dispatcher.utter_message(response="utter_warranty_not_found", reference="that reference",
                                     next_steps=knowledge.general_policies["not_found_next_steps"])
            return [*events, SlotSet(BACKEND_RESULT_SLOT, BACKEND_NOT_FOUND)]
        try:
            with transaction() as session:
                units = find_units(session, reference)
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_lookup_unavailable")
            return [*events, SlotSet(BACKEND_RESULT_SLOT, BACKEND_UNAVAILABLE)]
        if not units:
            dispatcher.utter_message(response="utter_warranty_not_found", reference=reference.value,
                                     next_steps=knowledge.general_policies["not_found_next_steps"])
            return [*events, SlotSet(BACKEND_RESULT_SLOT, BACKEND_NOT_FOUND)]
        today = utcnow().date()
        for unit in units:
            extension = " including your CarePlus extension" if unit.extended_months else ""
            if unit.is_covered_on(today):
                dispatcher.utter_message(response="utter_warranty_covered", product=unit.product_name,
                                         serial=unit.serial_number, until=long_date(unit.covered_until),
                                         extension=extension)
            else:
                dispatcher.utter_message(response="utter_warranty_expired", product=unit.product_name,
                                         serial=unit.serial_number, expired_on=long_date(unit.covered_until),
                                         extension=extension)
        any_covered = any(unit.is_covered_on(today) for unit in units)
        next_steps = knowledge.general_policies["covered_next_steps" if any_covered else "expired_next_steps"]
        dispatcher.utter_message(response="utter_offer_claim", next_steps=next_steps)
        events.append(SlotSet(BACKEND_RESULT_SLOT, BACKEND_OK))
        if len(units) == 1:
            events.append(SlotSet("claim_serial", units[0].serial_number))  # a claim need not ask again
        events.append(SlotSet("product", units[0].product_name))
        return events
