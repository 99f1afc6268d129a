"""Starting a warranty claim: the claim form (serial, problem, contact email) and the Claim row."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    BACKEND_OK,
    BACKEND_RESULT_SLOT,
    BACKEND_UNAVAILABLE,
    FORM_FAILURES_SLOT,
    form_failure,
    long_date,
)
from actions.services.claims import open_claim
from actions.services.db import BackendUnavailable, transaction
from actions.services.references import Reference, format_hint, parse_email, parse_serial_number
from actions.services.warranty import find_units, is_registered
from analytics.timeutil import utcnow

MIN_PROBLEM_CHARS = 3
MAX_PROBLEM_CHARS = 2000
CLAIM_SLOTS = ("claim_serial", "claim_problem", "claim_email")


class ValidateClaimForm(FormValidationAction):
    def name(self) -> str:
        return "validate_claim_form"

    def validate_claim_serial(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not typed by the customer
            return {"claim_serial": None}
        serial = parse_serial_number(str(value)) if isinstance(value, str) else None
        if serial is None:
            dispatcher.utter_message(response="utter_reference_hint", hint=format_hint("serial_number"))
            failures, offer_alternatives = form_failure(tracker)
            if offer_alternatives:
                dispatcher.utter_message(response="utter_reference_alternatives")
            return {"claim_serial": None, FORM_FAILURES_SLOT: failures}
        try:
            with transaction() as session:
                known = is_registered(session, serial)
        except BackendUnavailable:
            known = True  # cannot check now: take the customer's word, the team verifies the claim anyway
        if not known:
            dispatcher.utter_message(response="utter_claim_serial_unknown", serial=serial)
            return {"claim_serial": None}
        return {"claim_serial": serial, FORM_FAILURES_SLOT: 0}

    def validate_claim_problem(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not typed by the customer
            return {"claim_problem": None}
        problem = " ".join(str(value or "").split())
        if len(problem) < MIN_PROBLEM_CHARS:
            dispatcher.utter_message(response="utter_claim_problem_hint")
            return {"claim_problem": None}
        return {"claim_problem": problem[:MAX_PROBLEM_CHARS]}

    def validate_claim_email(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not typed by the customer
            return {"claim_email": None}
        email = parse_email(str(value))
        if email is None:
            dispatcher.utter_message(response="utter_reference_hint", hint=format_hint("email"))
            return {"claim_email": None}
        return {"claim_email": email}


def claim_details(tracker: Tracker) -> tuple[str, str, str] | None:
    """Serial, problem and e-mail checked again as the form checks them: slots can also be set by a forged
    request to the action server or through Rasa's API, so only text values that pass the same rules count."""
    serial, problem, email = (tracker.get_slot(name) for name in CLAIM_SLOTS)
    if not all(isinstance(value, str) for value in (serial, problem, email)):
        return None
    serial, email = parse_serial_number(serial), parse_email(email)
    problem = " ".join(problem.split())[:MAX_PROBLEM_CHARS]
    if serial is None or email is None or len(problem) < MIN_PROBLEM_CHARS:
        return None
    return serial, problem, email


class ActionSubmitClaim(Action):
    """Create the Claim row and give the customer its number and what happens next."""

    def name(self) -> str:
        return "action_submit_claim"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        details = claim_details(tracker)
        if details is None:  # the form validated them; reached only if slots were set from outside the form
            dispatcher.utter_message(response="utter_claim_incomplete")
            return [SlotSet(BACKEND_RESULT_SLOT, BACKEND_OK), *(SlotSet(name, None) for name in CLAIM_SLOTS)]
        serial, problem, email = details
        now = utcnow()
        try:
            with transaction() as session:
                claim = open_claim(session, serial_number=serial, problem=problem, contact_email=email,
                                   sender_id=tracker.sender_id, now=now)
                units = find_units(session, Reference("serial_number", serial))
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_lookup_unavailable")
            return [SlotSet(BACKEND_RESULT_SLOT, BACKEND_UNAVAILABLE)]
        if units and not units[0].is_covered_on(now.date()):
            coverage = (f"The warranty of this unit ended on {long_date(units[0].covered_until)}, so we'll email "
                        "you a repair quote before doing any work.")
        else:
            coverage = "The repair is free under warranty."
        dispatcher.utter_message(response="utter_claim_opened", claim_number=claim.claim_number, serial=serial,
                                 email=email, coverage=coverage)
        return [SlotSet("claim_number", claim.claim_number), SlotSet(BACKEND_RESULT_SLOT, BACKEND_OK),
                *(SlotSet(name, None) for name in CLAIM_SLOTS)]
